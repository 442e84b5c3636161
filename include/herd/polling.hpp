//
// herd/polling.hpp
// ~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_POLLING_HPP
#define HERD_POLLING_HPP

#include <herd/config.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>

namespace herd {

/// How herd polls futures that cannot notify (std::future, std::shared_future).
/**
 * herd's own futures never poll. A poller is asked for the interval to
 * sleep after each poll, told whether that poll saw any completion:
 *
 * @li `fixed`: always 10 ms.
 * @li `adaptive`: starts at 10 ms; x0.7 after a poll that saw a completion;
 * x1.3 after the third and every further consecutive empty poll; bounded to
 * [0.1 ms, 200 ms].
 * @li `exponential`: 10 ms, doubling after each empty poll up to 2 s; back to
 * 10 ms after a completion.
 * @li `progressive`: steps 0.1, 0.5, 1, 5, 500 ms; one step up after 5
 * consecutive empty polls; back to the first step after a completion.
 */
enum class polling_algorithm
{
  fixed,
  adaptive,
  exponential,
  progressive
};

/// The interval schedule of one polling_algorithm.
class poller
{
public:
  using interval = std::chrono::duration<double, std::milli>;

  explicit poller(polling_algorithm algorithm = polling_algorithm::adaptive) noexcept : algorithm_(algorithm)
  {
    reset();
  }

  /// The interval to sleep before the next poll, given whether the poll just
  /// made saw any completion.
  interval next_interval(bool completed_any) noexcept
  {
    switch (algorithm_)
    {
    case polling_algorithm::fixed: return interval(10.0);
    case polling_algorithm::adaptive:
      if (completed_any)
      {
        empty_ = 0;
        current_ *= 0.7;
      }
      else if (++empty_ >= 3)
        current_ *= 1.3;
      current_ = std::clamp(current_, 0.1, 200.0);
      return interval(current_);
    case polling_algorithm::exponential:
      if (completed_any)
      {
        current_ = 10.0;
        return interval(current_);
      }
      else
      {
        const double now = current_;
        current_ = std::min(current_ * 2.0, 2000.0);
        return interval(now);
      }
    case polling_algorithm::progressive:
    {
      static constexpr std::array<double, 5> steps{0.1, 0.5, 1.0, 5.0, 500.0};
      if (completed_any)
      {
        step_ = 0;
        empty_ = 0;
      }
      else if (++empty_ >= 5)
      {
        step_ = std::min<std::size_t>(step_ + 1, steps.size() - 1);
        empty_ = 0;
      }
      return interval(steps[step_]);
    }
    }
    return interval(10.0);
  }

  /// Back to the initial interval.
  void reset() noexcept
  {
    current_ = 10.0;
    empty_ = 0;
    step_ = 0;
  }

  polling_algorithm algorithm() const noexcept { return algorithm_; }

private:
  polling_algorithm algorithm_;
  double current_ = 10.0; // ms
  std::size_t empty_ = 0;
  std::size_t step_ = 0;
};

} // namespace herd

#endif // HERD_POLLING_HPP
