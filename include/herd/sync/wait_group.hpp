//
// herd/sync/wait_group.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_SYNC_WAIT_GROUP_HPP
#define HERD_SYNC_WAIT_GROUP_HPP

#include <herd/config.hpp>
#include <herd/detail/sync_core.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <stdexcept>
#include <string>

namespace herd
{

/// Waits for a counted set of jobs to finish (Go's sync.WaitGroup).
/**
 * add(n) before starting jobs, done() as each finishes; async_wait
 * completes when the count is zero (at once, through the executor, if it
 * is zero already). Destroying the group completes queued waits with
 * operation_aborted.
 *
 * @par Thread Safety
 * @e Distinct @e objects: Safe.@n
 * @e Shared @e objects: Safe.
 */
class wait_group final : private detail::sync_core
{
public:
  using executor_type = net::any_io_executor;

  /// @throws std::invalid_argument naming @c ex if it is empty.
  explicit wait_group(executor_type ex) : detail::sync_core(std::move(ex), "herd::wait_group") {}
  ~wait_group() { abandon_all(net::error::operation_aborted); }

  using detail::sync_core::get_executor;

  /// Adds @c n jobs.
  void add(std::size_t n = 1) noexcept
  {
    std::lock_guard lock(mutex_);
    count_ += n;
  }

  /// Marks one job finished; at zero, completes every wait.
  /**
   * @throws std::logic_error if no job is outstanding.
   */
  void done()
  {
    detail::sync_waiter* chain = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (count_ == 0)
        throw std::logic_error("herd::wait_group::done: called more often than add() counted");
      if (--count_ == 0)
        chain = list_.take_all();
    }
    detail::complete_chain(chain, {}, 1);
  }

  /// Jobs outstanding now.
  std::size_t count() const noexcept
  {
    std::lock_guard lock(mutex_);
    return count_;
  }

  /// Waits until the count is zero.
  /**
   * @par Completion Signature
   * @code void(boost::system::error_code) @endcode
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total.
   */
  template <class CompletionToken = net::deferred_t>
  auto async_wait(CompletionToken&& token = CompletionToken())
  {
    return initiate_wait<detail::deliver_ec, void(boost::system::error_code)>(token, [this](detail::sync_waiter* w)
                                                                              { return try_now(w); });
  }

  /// Waits at most @c d: `void(error_code, bool zero)`, false on timeout.
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
    if (count_ == 0)
      return 1;
    list_.push_back(w);
    return std::nullopt;
  }

  std::size_t count_ = 0;
};

} // namespace herd

#endif // HERD_SYNC_WAIT_GROUP_HPP
