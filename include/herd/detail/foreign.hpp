//
// herd/detail/foreign.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_FOREIGN_HPP
#define HERD_DETAIL_FOREIGN_HPP

#include <herd/detail/wait_core.hpp>
#include <herd/polling.hpp>
#include <herd/progress.hpp>

#include <algorithm>
#include <future>
#include <variant>
#include <thread>

namespace herd {
namespace detail {

template <class T>
struct is_foreign_future : std::false_type
{
};
template <class T>
struct is_foreign_future<std::future<T>> : std::true_type
{
};
template <class T>
struct is_foreign_future<std::shared_future<T>> : std::true_type
{
};

// A sequence of std::future or std::shared_future (futures that cannot notify).
template <class R>
concept foreign_future_range = requires(R& r) {
  std::begin(r);
  std::end(r);
} && !map_like<R> && is_foreign_future<range_element_t<R>>::value;

template <class T>
struct is_shared_future : std::false_type
{
};
template <class T>
struct is_shared_future<std::shared_future<T>> : std::true_type
{
};

// Copyable foreign futures: what wait can split into done and not_done.
template <class R>
concept shared_future_range = foreign_future_range<R> && is_shared_future<range_element_t<R>>::value;

template <class F>
bool foreign_ready(const F& f)
{
  // A deferred std::async future only runs when read: it is ready to be read.
  const auto s = f.wait_for(std::chrono::seconds(0));
  return s == std::future_status::ready || s == std::future_status::deferred;
}

// Polls the futures on the schedule of `algorithm` until `stop(done)`.
// `on_ready(i, f)` is called once for each future as it is seen ready.
template <class R, class OnReady, class Stop>
void poll_foreign(R& fs, const deadline_t& deadline, polling_algorithm algorithm, progress_reporter& progress,
                  const char* call, OnReady on_ready, Stop stop)
{
  std::vector<char> seen;
  std::size_t done = 0;
  poller p(algorithm);
  for (;;)
  {
    bool any = false;
    std::size_t i = 0;
    for (auto& f : fs)
    {
      if (seen.size() <= i)
        seen.push_back(0);
      if (!seen[i] && foreign_ready(f))
      {
        seen[i] = 1;
        ++done;
        any = true;
        on_ready(i, f);
      }
      ++i;
    }
    progress.update(done);
    if (stop(done, i))
    {
      progress.finish(done);
      return;
    }
    auto sleep = std::chrono::duration_cast<std::chrono::steady_clock::duration>(p.next_interval(any));
    if (deadline)
    {
      const auto now = deadline->clock->now();
      if (now >= deadline->at)
      {
        progress.finish(done);
        throw unfinished_timeout(call, i - done, i);
      }
      // (On a virtual clock the remaining virtual time only caps the nap.)
      sleep = std::min(sleep, deadline->at - now);
    }
    std::this_thread::sleep_for(sleep);
  }
}

template <class F>
auto foreign_value(F& f)
{
  using T = std::remove_cvref_t<decltype(f.get())>;
  if constexpr (std::is_void_v<T>)
  {
    f.get();
    return std::monostate{};
  }
  else
    return T(f.get());
}

template <class R>
using foreign_value_t = decltype(foreign_value(std::declval<range_element_t<R>&>()));

template <class R>
std::size_t foreign_size(R& fs)
{
  return static_cast<std::size_t>(std::distance(std::begin(fs), std::end(fs)));
}

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_FOREIGN_HPP
