//
// herd/sync/capacity_limiter.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_SYNC_CAPACITY_LIMITER_HPP
#define HERD_SYNC_CAPACITY_LIMITER_HPP

#include <herd/sync/semaphore.hpp>

namespace herd
{

/// A semaphore whose total can change while it is in use (Trio's CapacityLimiter).
/**
 * Everything a herd::semaphore does (it is one: pass it as
 * `submit_options::limiter`), plus borrowed(), total() and set_total().
 *
 * set_total() takes effect at once: raising the total hands the new
 * permits to waiters immediately; lowering it below what is borrowed lets
 * no one in until enough permits have come back. Borrowed permits are never
 * revoked.
 *
 * @par Thread Safety
 * @e Distinct @e objects: Safe.@n
 * @e Shared @e objects: Safe.
 */
class capacity_limiter final : public semaphore
{
public:
  /// A limiter lending at most @c total permits at once.
  /**
   * @throws std::invalid_argument naming @c total if it is 0.
   */
  capacity_limiter(executor_type ex, std::size_t total) : semaphore(std::move(ex), checked_total(total), total) {}

  /// The number of permits that may be borrowed at once.
  std::size_t total() const noexcept { return max(); }

  /// The number of permits borrowed now (may exceed total() just after it was lowered).
  std::size_t borrowed() const noexcept
  {
    const std::int64_t count = word_.load(std::memory_order_acquire) >> 1;
    return static_cast<std::size_t>(max_.load(std::memory_order_acquire) - count);
  }

  /// Changes the total, at once.
  /**
   * @throws std::invalid_argument naming @c total if it is 0 or exceeds
   * semaphore::unbounded.
   */
  void set_total(std::size_t total)
  {
    checked_total(total);
    detail::sync_waiter* granted = nullptr;
    {
      std::lock_guard lock(mutex_);
      const std::int64_t delta = static_cast<std::int64_t>(total) - max_.load(std::memory_order_relaxed);
      max_.store(static_cast<std::int64_t>(total), std::memory_order_release);
      add_locked(delta);
      granted = grant_locked();
    }
    detail::complete_chain(granted, {}, 1);
  }

private:
  static std::size_t checked_total(std::size_t total)
  {
    if (total == 0)
      throw std::invalid_argument("herd::capacity_limiter: total must be at least 1");
    if (total > unbounded)
      throw std::invalid_argument("herd::capacity_limiter: total exceeds semaphore::unbounded");
    return total;
  }
};

} // namespace herd

#endif // HERD_SYNC_CAPACITY_LIMITER_HPP
