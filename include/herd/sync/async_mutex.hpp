//
// herd/sync/async_mutex.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_SYNC_ASYNC_MUTEX_HPP
#define HERD_SYNC_ASYNC_MUTEX_HPP

#include <herd/sync/semaphore.hpp>

namespace herd
{

/// A mutual-exclusion lock for asynchronous code: waiting holds no thread.
/**
 * FIFO: the lock goes to the oldest waiter. Not recursive, and not owned by
 * a thread: any code may unlock it (a coroutine commonly resumes on another
 * thread). A cancelled or timed-out lock attempt leaves no trace.
 *
 * @par Thread Safety
 * @e Distinct @e objects: Safe.@n
 * @e Shared @e objects: Safe.
 */
class async_mutex
{
public:
  using executor_type = net::any_io_executor;

  /// Unlocks when destroyed; move-only. Empty after a failed lock.
  using guard = semaphore::permit;

  explicit async_mutex(executor_type ex) : sem_(std::move(ex), 1, 1) {}

  executor_type get_executor() const { return sem_.get_executor(); }

  /// Locks if the mutex is free and nobody waits.
  bool try_lock() noexcept { return sem_.try_acquire(); }

  /// Unlocks, handing the lock to the oldest waiter.
  /**
   * @throws std::logic_error if the mutex is not locked.
   */
  void unlock()
  {
    try
    {
      sem_.release();
    }
    catch (const std::logic_error&)
    {
      throw std::logic_error("herd::async_mutex::unlock: the mutex is not locked");
    }
  }

  /// True while the mutex is locked.
  bool is_locked() const noexcept { return sem_.available() == 0; }

  /// Waits for the lock.
  /**
   * @par Completion Signature
   * @code void(boost::system::error_code) @endcode
   * Success: the caller holds the lock and must unlock(). operation_aborted:
   * cancelled, the lock is not held.
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total.
   */
  template <class CompletionToken = net::deferred_t>
  auto async_lock(CompletionToken&& token = CompletionToken())
  {
    return sem_.async_acquire(std::forward<CompletionToken>(token));
  }

  /// Waits at most @c d for the lock: `void(error_code, bool locked)`.
  template <class CompletionToken = net::deferred_t>
  auto async_lock_for(duration d, CompletionToken&& token = CompletionToken())
  {
    return sem_.async_acquire_for(d, std::forward<CompletionToken>(token));
  }

  /// Waits for the lock and returns it as a guard: `void(error_code, guard)`.
  template <class CompletionToken = net::deferred_t>
  auto async_lock_guard(CompletionToken&& token = CompletionToken())
  {
    return sem_.async_acquire_permit(std::forward<CompletionToken>(token));
  }

  /// Lock attempts queued now.
  std::size_t waiting() const noexcept { return sem_.waiting(); }

private:
  semaphore sem_;
};

} // namespace herd

#endif // HERD_SYNC_ASYNC_MUTEX_HPP
