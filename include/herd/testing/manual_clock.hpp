//
// herd/testing/manual_clock.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_TESTING_MANUAL_CLOCK_HPP
#define HERD_TESTING_MANUAL_CLOCK_HPP

#include <herd/clock.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

namespace herd::testing
{

/// A virtual clock for deterministic tests of timed behaviour.
/**
 * Time stands still until advance() moves it. Timers armed on the clock
 * fire, in deadline order, when time reaches their deadline: their handlers
 * are posted to their executors at once, so a 30-second retry schedule runs
 * in microseconds of real time.
 *
 * Install it on an execution context with herd::use_clock(ctx, clock), or
 * pass it to `async_executor(threads, clock)`.
 *
 * @par Step by step
 * A handler that a firing posts runs only when its executor runs it, after
 * advance() has returned; a timer it arms then starts from the advanced
 * time. To run such chains at their exact virtual times, pass `settle`, a
 * function advance() calls after every firing (for a single-threaded test,
 * one that polls the io_context), or advance to next_deadline() step by
 * step, or, with threads running the handlers, wait_pending() before each
 * advance.
 *
 * @par Thread Safety
 * Every member function is thread-safe.
 */
class manual_clock final : public herd::clock
{
public:
  /// Starts at @c start (by default an arbitrary fixed point, not zero).
  explicit manual_clock(time_point start = time_point{} + std::chrono::hours(24))
      : herd::clock(true), now_(start.time_since_epoch().count())
  {
  }

  ~manual_clock() override
  {
    // Every timer on the clock should be gone; fail the stragglers rather
    // than leave their handlers unreachable.
    std::vector<detail::timer_node*> left;
    {
      std::lock_guard lock(mutex_);
      for (auto& [tp, n] : queue_)
        left.push_back(n);
      queue_.clear();
    }
    for (auto* n : left)
      n->fire_(n, net::error::operation_aborted);
  }

  time_point now() const noexcept override { return time_point(duration(now_.load(std::memory_order_acquire))); }

  /// Moves time forward by @c d, firing each timer that falls due on the way.
  /**
   * Timers fire one at a time in deadline order (equal deadlines in the
   * order they were armed); now() equals each one's deadline while it
   * fires, then ends at the old time plus @c d.
   *
   * @param settle If given, called after each firing and before returning;
   * timers it arms are fired in this same advance if they fall due.
   *
   * @throws std::invalid_argument if @c d is negative.
   */
  void advance(duration d, const std::function<void()>& settle = {})
  {
    if (d < duration::zero())
      throw std::invalid_argument("herd::testing::manual_clock::advance: d must not be negative");
    const time_point target = now() + d;
    if (settle)
      settle();
    for (;;)
    {
      detail::timer_node* n = nullptr;
      {
        std::lock_guard lock(mutex_);
        if (!queue_.empty() && queue_.begin()->first <= target)
        {
          n = queue_.begin()->second;
          queue_.erase(queue_.begin());
          if (n->deadline_ > now())
            set_now(n->deadline_);
        }
        else
        {
          set_now(target);
        }
      }
      changed_.notify_all();
      if (!n)
        break;
      n->fire_(n, {});
      if (settle)
        settle();
    }
    if (settle)
      settle();
  }

  /// Moves time to @c tp (no-op if it has passed), as advance() does.
  void advance_to(time_point tp, const std::function<void()>& settle = {})
  {
    const time_point t = now();
    advance(tp > t ? tp - t : duration::zero(), settle);
  }

  /// The earliest deadline of an armed timer, if any.
  std::optional<time_point> next_deadline() const
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty())
      return std::nullopt;
    return queue_.begin()->first;
  }

  /// The number of armed timers.
  std::size_t pending() const
  {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

  /// Blocks (in real time, at most @c limit) until at least @c n timers are armed.
  /**
   * For tests whose handlers run on other threads: wait until the code under
   * test has armed its timer, then advance. Returns false on the real-time
   * limit, which a test should treat as a failure.
   */
  bool wait_pending(std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(30)) const
  {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return queue_.size() >= n; });
  }

private:
  void set_now(time_point tp) noexcept { now_.store(tp.time_since_epoch().count(), std::memory_order_release); }

  void arm(detail::timer_node* n) override
  {
    bool due = false;
    {
      std::lock_guard lock(mutex_);
      // A deadline that has passed fires now, as a real timer's would.
      due = n->deadline_ <= now();
      if (!due)
        queue_.emplace(n->deadline_, n);
    }
    if (due)
      n->fire_(n, {});
    else
      changed_.notify_all();
  }

  bool disarm(detail::timer_node* n) noexcept override
  {
    std::lock_guard lock(mutex_);
    for (auto it = queue_.lower_bound(n->deadline_); it != queue_.end() && it->first == n->deadline_; ++it)
      if (it->second == n)
      {
        queue_.erase(it);
        return true;
      }
    return false;
  }

  std::size_t disarm_all(const void* owner) noexcept override
  {
    std::vector<detail::timer_node*> taken;
    {
      std::lock_guard lock(mutex_);
      for (auto it = queue_.begin(); it != queue_.end();)
        if (it->second->owner_ == owner)
        {
          taken.push_back(it->second);
          it = queue_.erase(it);
        }
        else
          ++it;
    }
    for (auto* n : taken)
      n->fire_(n, net::error::operation_aborted);
    return taken.size();
  }

  std::atomic<duration::rep> now_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::multimap<time_point, detail::timer_node*> queue_;
};

} // namespace herd::testing

#endif // HERD_TESTING_MANUAL_CLOCK_HPP
