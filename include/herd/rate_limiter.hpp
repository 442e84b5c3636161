//
// herd/rate_limiter.hpp
// ~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_RATE_LIMITER_HPP
#define HERD_RATE_LIMITER_HPP

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/detail/sync_core.hpp>

#include <algorithm>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace herd
{

/// A token bucket: at most @c burst admissions at once, refilled at @c rate per @c per.
/**
 * Exact over every window: in any interval of length t, at most
 * `burst + rate * t / per` acquisitions succeed (the generic cell rate
 * algorithm, on the executor's clock). Waiters are admitted first in,
 * first out, each as soon as a token is due; a cancelled wait leaves the
 * bucket as it was.
 *
 * @par Thread Safety
 * @e Distinct @e objects: Safe.@n
 * @e Shared @e objects: Safe.
 */
class rate_limiter final : private detail::sync_core
{
public:
  using executor_type = net::any_io_executor;

  /// @throws std::invalid_argument naming @c rate or @c per if not positive, or @c burst if 0.
  rate_limiter(executor_type ex, double rate, duration per, std::size_t burst)
      : detail::sync_core(checked(std::move(ex), rate, per, burst), "herd::rate_limiter"), interval_(static_cast<double>(per.count()) / rate),
        slack_(static_cast<double>(burst - 1) * interval_), base_(clock_->now()), timer_(ex_, *clock_)
  {
  }

  ~rate_limiter()
  {
    {
      // After this no timer handler touches *this (one running now finishes first).
      std::lock_guard alive(life_->mutex);
      life_->alive = false;
    }
    {
      std::lock_guard lock(mutex_);
      timer_.cancel();
    }
    abandon_all(net::error::operation_aborted);
  }

  using detail::sync_core::get_executor;

  /// Takes a token if one is available now and nobody waits.
  bool try_acquire()
  {
    std::lock_guard lock(mutex_);
    return list_.empty() && admit_locked(elapsed());
  }

  /// Waits queued now.
  std::size_t waiting() const
  {
    std::lock_guard lock(mutex_);
    return list_.size();
  }

  /// Waits for a token.
  /**
   * @par Completion Signature
   * @code void(boost::system::error_code) @endcode
   * operation_aborted if cancelled or the limiter was destroyed.
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total.
   */
  template <class CompletionToken = net::deferred_t>
  auto async_acquire(CompletionToken&& token = CompletionToken())
  {
    return initiate_wait<detail::deliver_ec, void(boost::system::error_code)>(
        token,
        [this](detail::sync_waiter* w) -> std::optional<std::size_t>
        {
          std::lock_guard lock(mutex_);
          if (list_.empty() && admit_locked(elapsed()))
            return 1;
          list_.push_back(w);
          arm_locked();
          return std::nullopt;
        });
  }

private:
  static executor_type checked(executor_type ex, double rate, duration per, std::size_t burst)
  {
    if (!(rate > 0) || !std::isfinite(rate))
      throw std::invalid_argument("herd::rate_limiter: rate must be positive");
    if (per <= duration::zero())
      throw std::invalid_argument("herd::rate_limiter: per must be positive");
    if (burst == 0)
      throw std::invalid_argument("herd::rate_limiter: burst must be at least 1");
    return ex;
  }

  // Nanoseconds (clock ticks) since construction, as a double.
  double elapsed() const { return static_cast<double>((clock_->now() - base_).count()); }

  // GCRA: admit at t if the theoretical arrival time is within the slack.
  bool admit_locked(double t)
  {
    if (tat_ > t + slack_ + epsilon)
      return false;
    tat_ = std::max(tat_, t) + interval_;
    return true;
  }

  // The time the oldest waiter can be admitted.
  double due_locked() const { return tat_ - slack_; }

  void arm_locked()
  {
    if (armed_ || list_.empty())
      return;
    armed_ = true;
    const double due = std::ceil(due_locked());
    timer_.expires_at(base_ + duration(static_cast<duration::rep>(due)));
    timer_.async_wait(
        [this, life = life_](boost::system::error_code ec)
        {
          std::lock_guard alive(life->mutex);
          if (life->alive)
            on_timer(ec);
        });
  }

  void on_timer(boost::system::error_code ec)
  {
    detail::sync_waiter* head = nullptr;
    detail::sync_waiter** tail = &head;
    {
      std::lock_guard lock(mutex_);
      armed_ = false;
      if (ec)
        return;
      const double t = elapsed();
      while (!list_.empty() && admit_locked(t))
      {
        detail::sync_waiter* w = list_.pop_front();
        *tail = w;
        tail = &w->next_;
      }
      arm_locked();
    }
    detail::complete_chain(head, {}, 1);
  }

  static constexpr double epsilon = 1e-3; // ticks: absorbs rounding of the due time

  struct lifetime
  {
    std::mutex mutex;
    bool alive = true;
  };

  double interval_;
  double slack_;
  clock::time_point base_;
  double tat_ = 0;
  bool armed_ = false;
  std::shared_ptr<lifetime> life_ = std::make_shared<lifetime>();
  herd::timer timer_;
};

} // namespace herd

#endif // HERD_RATE_LIMITER_HPP
