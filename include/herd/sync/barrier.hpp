//
// herd/sync/barrier.hpp
// ~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_SYNC_BARRIER_HPP
#define HERD_SYNC_BARRIER_HPP

#include <herd/config.hpp>
#include <herd/detail/sync_core.hpp>
#include <herd/error.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <optional>
#include <stdexcept>

namespace herd
{

/// A reusable barrier for @c n parties.
/**
 * Each phase completes when the n-th party arrives: every party's wait
 * completes with its arrival index, 0 for the first to arrive, n-1 for the
 * one that completed the phase. The barrier then starts the next phase.
 *
 * An arrival whose wait is cancelled or times out is withdrawn: the phase
 * still needs n arrivals, and the indices of the others close the gap.
 * Destroying the barrier completes waiting parties with
 * `herd::errc::broken_barrier`.
 *
 * @par Thread Safety
 * @e Distinct @e objects: Safe.@n
 * @e Shared @e objects: Safe.
 */
class barrier final : private detail::sync_core
{
public:
  using executor_type = net::any_io_executor;

  /// A barrier for @c n parties.
  /**
   * @throws std::invalid_argument naming @c n if it is 0, or @c ex if empty.
   */
  barrier(executor_type ex, std::size_t n) : detail::sync_core(std::move(ex), "herd::barrier"), n_(n)
  {
    if (n == 0)
      throw std::invalid_argument("herd::barrier: n must be at least 1");
  }

  ~barrier() { abandon_all(make_error_code(errc::broken_barrier)); }

  using detail::sync_core::get_executor;

  /// The number of parties per phase.
  std::size_t parties() const noexcept { return n_; }

  /// Parties waiting in the current phase.
  std::size_t arrived() const noexcept
  {
    std::lock_guard lock(mutex_);
    return list_.size();
  }

  /// Arrives and waits for the phase to complete.
  /**
   * @par Completion Signature
   * @code void(boost::system::error_code, std::size_t arrival_index) @endcode
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total: the arrival is withdrawn, the handler gets
   * operation_aborted.
   */
  template <class CompletionToken = net::deferred_t>
  auto async_arrive_and_wait(CompletionToken&& token = CompletionToken())
  {
    return initiate_wait<deliver_index, void(boost::system::error_code, std::size_t)>(
        token, [this](detail::sync_waiter* w) { return try_now(w); });
  }

  /// Arrives and waits at most @c d.
  /**
   * @par Completion Signature
   * @code void(boost::system::error_code, std::optional<std::size_t>) @endcode
   * Empty (false) on timeout: the arrival was withdrawn.
   */
  template <class CompletionToken = net::deferred_t>
  auto async_arrive_and_wait_for(duration d, CompletionToken&& token = CompletionToken())
  {
    return initiate_timed_wait<deliver_optional, void(boost::system::error_code, std::optional<std::size_t>)>(
        d, token, [this](detail::sync_waiter* w) { return try_now(w); });
  }

private:
  // Indices travel as index + 1 so that 0 can mean "timed out".
  struct deliver_index
  {
    template <class Handler>
    static void call(Handler& h, boost::system::error_code ec, std::size_t v, detail::sync_core*)
    {
      std::move(h)(ec, ec ? std::size_t(0) : v - 1);
    }
  };
  struct deliver_optional
  {
    template <class Handler>
    static void call(Handler& h, boost::system::error_code ec, std::size_t v, detail::sync_core*)
    {
      std::move(h)(ec, (!ec && v != 0) ? std::optional<std::size_t>(v - 1) : std::nullopt);
    }
  };

  // Takes the wait's result at once, or queues w (see detail::start_wait).
  std::optional<std::size_t> try_now(detail::sync_waiter* w)
  {
    detail::sync_waiter* chain = nullptr;
    std::size_t last = 0;
    {
      std::lock_guard lock(mutex_);
      if (list_.size() + 1 < n_)
      {
        list_.push_back(w);
        return std::nullopt;
      }
      last = list_.size();
      chain = list_.take_all();
    }
    // Complete the earlier arrivals with their indices, in arrival order.
    std::size_t index = 0;
    while (chain)
    {
      detail::sync_waiter* next = chain->next_;
      chain->next_ = chain->prev_ = nullptr;
      chain->complete({}, encode(index++));
      chain = next;
    }
    return encode(last);
  }

  static std::size_t encode(std::size_t index) noexcept { return index + 1; }

  std::size_t n_;
};

} // namespace herd

#endif // HERD_SYNC_BARRIER_HPP
