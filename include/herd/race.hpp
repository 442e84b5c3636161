//
// herd/race.hpp
// ~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_RACE_HPP
#define HERD_RACE_HPP

#include <herd/config.hpp>
#include <herd/detail/async_group.hpp>
#include <herd/detail/wait_core.hpp>
#include <herd/future.hpp>

#include <stdexcept>
#include <vector>

namespace herd {

namespace detail {

template <group_until Until>
class initiate_race
{
public:
  template <class Handler, class T>
  void operator()(Handler&& handler, std::vector<future<T>> fs) const
  {
    auto finish = [](auto& op, std::vector<std::size_t> order, bool, bool aborted)
    {
      auto& futures = op.futures();
      std::exception_ptr e;
      std::optional<std::size_t> winner;
      if (aborted)
        e = aborted_exception();
      else if constexpr (Until == group_until::first)
        winner = order.front(); // the first to finish wins, even if it failed
      else
      {
        for (std::size_t i : order)
          if (future_access::state(futures[i]).state() == task_state::completed)
          {
            winner = i;
            break;
          }
        if (!winner)
        {
          std::vector<std::exception_ptr> failures; // every failure, in input order
          for (const auto& f : futures)
            failures.push_back(f.exception());
          e = std::make_exception_ptr(aggregate_error(std::move(failures)));
        }
      }
      // The others get a cancellation request (futures belong to their
      // executor, which accounts for them; they are not awaited).
      for (std::size_t i = 0; i < futures.size(); ++i)
        if (!winner || i != *winner)
          futures[i].cancel();
      if (winner && !e)
        e = futures[*winner].exception();
      if constexpr (std::is_void_v<T>)
        complete_on_handler_executor(op.take_handler(), std::move(e));
      else
      {
        wait_value_t<T> v{};
        if (winner && !e)
        {
          if constexpr (std::is_same_v<wait_value_t<T>, T>)
            v = futures[*winner].get();
          else
            v = std::shared_ptr<const T>(std::make_shared<future<T>>(futures[*winner]), &futures[*winner].get());
        }
        complete_on_handler_executor(op.take_handler(), std::move(e), std::move(v));
      }
    };
    start_group_wait(std::move(fs), Until, std::nullopt, std::forward<Handler>(handler), std::move(finish));
  }
};

template <class R>
std::vector<range_future_t<R>> nonempty_futures(const R& fs, const char* call)
{
  auto v = futures_of(fs);
  if (v.empty())
    throw std::invalid_argument(std::string(call) + ": futures must not be empty");
  return v;
}

} // namespace detail

/// The first input to finish wins, even if it failed; the others are cancelled.
/**
 * @param fs A non-empty range of `herd::future<T>`.
 *
 * @par Completion Signature
 * @code void(std::exception_ptr, herd::wait_value_t<T>) @endcode
 * The winner's value or its failure, unchanged. Every other input gets a
 * cancellation request (future::cancel()); as futures belong to their
 * executor, which accounts for them, race does not wait for them.
 *
 * @par Per-Operation Cancellation
 * Terminal, partial and total: the race completes with `operation_aborted`
 * and every input gets a cancellation request.
 *
 * @throws std::invalid_argument if @c fs is empty.
 */
template <detail::herd_future_range R, class CompletionToken = net::deferred_t>
auto race(const R& fs, CompletionToken&& token = CompletionToken())
{
  using T = detail::range_value_t<R>;
  return net::async_initiate<CompletionToken, typename future<T>::wait_signature>(
      detail::initiate_race<detail::group_until::first>(), token, detail::nonempty_futures(fs, "herd::race"));
}

/// The first input to succeed wins; the others are cancelled.
/**
 * @par Completion Signature
 * As race(). If every input fails, the exception is a herd::aggregate_error
 * holding every failure in input order.
 *
 * @throws std::invalid_argument if @c fs is empty.
 */
template <detail::herd_future_range R, class CompletionToken = net::deferred_t>
auto first_success(const R& fs, CompletionToken&& token = CompletionToken())
{
  using T = detail::range_value_t<R>;
  return net::async_initiate<CompletionToken, typename future<T>::wait_signature>(
      detail::initiate_race<detail::group_until::first_success>(), token,
      detail::nonempty_futures(fs, "herd::first_success"));
}

} // namespace herd

#endif // HERD_RACE_HPP
