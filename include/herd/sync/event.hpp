//
// herd/sync/event.hpp
// ~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_SYNC_EVENT_HPP
#define HERD_SYNC_EVENT_HPP

#include <herd/config.hpp>
#include <herd/detail/sync_core.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <stdexcept>

namespace herd
{

/// A manual-reset event (Python's asyncio.Event) for asynchronous code.
/**
 * set() wakes every waiter and lets later waits through until clear().
 * Destroying the event completes queued waits with operation_aborted.
 *
 * @par Thread Safety
 * @e Distinct @e objects: Safe.@n
 * @e Shared @e objects: Safe.
 */
class event final : private detail::sync_core
{
public:
  using executor_type = net::any_io_executor;

  /// An event, initially clear.
  /**
   * @throws std::invalid_argument naming @c ex if it is empty.
   */
  explicit event(executor_type ex) : detail::sync_core(std::move(ex), "herd::event") {}
  ~event() { abandon_all(net::error::operation_aborted); }

  using detail::sync_core::get_executor;

  /// Sets the event and completes every queued wait (success).
  void set()
  {
    detail::sync_waiter* chain = nullptr;
    {
      std::lock_guard lock(mutex_);
      set_.store(true, std::memory_order_release);
      chain = list_.take_all();
    }
    detail::complete_chain(chain, {}, 1);
  }

  /// Clears the event; later waits wait for the next set().
  void clear() noexcept
  {
    std::lock_guard lock(mutex_);
    set_.store(false, std::memory_order_release);
  }

  bool is_set() const noexcept { return set_.load(std::memory_order_acquire); }

  /// Waits queued now.
  std::size_t waiting() const noexcept
  {
    std::lock_guard lock(mutex_);
    return list_.size();
  }

  /// Waits until the event is set (completes soon if it is set already).
  /**
   * @par Completion Signature
   * @code void(boost::system::error_code) @endcode
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total: operation_aborted, the wait leaves no trace.
   */
  template <class CompletionToken = net::deferred_t>
  auto async_wait(CompletionToken&& token = CompletionToken())
  {
    return initiate_wait<detail::deliver_ec, void(boost::system::error_code)>(token, [this](detail::sync_waiter* w)
                                                                              { return try_now(w); });
  }

  /// Waits at most @c d: `void(error_code, bool set)`, false on timeout.
  template <class CompletionToken = net::deferred_t>
  auto async_wait_for(duration d, CompletionToken&& token = CompletionToken())
  {
    return initiate_timed_wait<detail::deliver_bool, void(boost::system::error_code, bool)>(
        d, token, [this](detail::sync_waiter* w) { return try_now(w); });
  }

private:
  // Takes the wait's result at once, or queues w (see detail::start_wait).
  std::optional<std::size_t> try_now(detail::sync_waiter* w)
  {
    std::lock_guard lock(mutex_);
    if (set_.load(std::memory_order_relaxed))
      return 1;
    list_.push_back(w);
    return std::nullopt;
  }

  std::atomic<bool> set_{false};
};

} // namespace herd

#endif // HERD_SYNC_EVENT_HPP
