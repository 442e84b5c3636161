//
// herd/gather.hpp
// ~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_GATHER_HPP
#define HERD_GATHER_HPP

#include <herd/config.hpp>
#include <herd/detail/gather_finish.hpp>
#include <herd/detail/op_group.hpp>
#include <herd/detail/foreign.hpp>
#include <herd/detail/wait_core.hpp>
#include <herd/future.hpp>
#include <herd/gather_options.hpp>
#include <herd/polling.hpp>
#include <herd/progress.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/deferred.hpp>

#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace herd {

namespace detail {

// Waits for every state, or (fail_fast) until one fails. Applies the
// policy to the unfinished inputs on a failure or a timeout, then rethrows.
inline void gather_states(multi_wait& mw, const gather_options& o, bool fail_fast, const char* call)
{
  progress_reporter progress(o.progress, mw.size());
  std::size_t checked = 0;
  std::optional<std::size_t> failed;
  try
  {
    wait_states(mw, deadline_after(o.timeout, o.clock, mw), progress, call,
                [&](std::size_t settled)
                {
                  if (fail_fast)
                    for (; checked < settled && !failed; ++checked)
                      if (failed_or_cancelled(mw.state(mw.settled_at(checked))))
                        failed = mw.settled_at(checked);
                  return failed.has_value() || settled == mw.size();
                });
  }
  catch (const timeout_error&)
  {
    if (o.on_failure == failure_policy::cancel_pending)
      cancel_unfinished(mw);
    throw;
  }
  if (failed)
  {
    if (o.on_failure == failure_policy::cancel_pending)
      cancel_unfinished(mw);
    std::rethrow_exception(mw.state(*failed).error());
  }
}

// The blocking variadic gather (values, fail fast) and gather_settled
// (outcomes): a tuple in argument order.
template <bool Settled>
struct gather_arguments
{
  template <class... F>
  auto operator()(const gather_options& o, const F&... fs) const
  {
    multi_wait mw(std::vector<state_base*>{&future_access::mutable_state(fs)...});
    gather_states(mw, o, !Settled, Settled ? "herd::gather_settled" : "herd::gather");
    if constexpr (Settled)
      return std::tuple<outcome<gathered_t<typename F::value_type>>...>(settled_outcome(fs)...);
    else
      return std::tuple<gathered_t<typename F::value_type>...>(gathered_value(fs)...);
  }
};

template <class R, class Make>
auto collect(const R& fs, Make make)
{
  using value = decltype(make(future_of(*std::begin(fs))));
  if constexpr (map_like<R>)
  {
    gathered_map_t<R, value> out;
    for (const auto& [k, f] : fs)
      out.emplace(k, make(f));
    return out;
  }
  else
  {
    std::vector<value> out;
    if constexpr (requires { fs.size(); })
      out.reserve(fs.size());
    for (const auto& f : fs)
      out.push_back(make(f));
    return out;
  }
}

} // namespace detail

/// Blocks for every input's value, in input order; fails fast.
/**
 * @param fs A range of `herd::future<T>` (gives `std::vector<T>`) or an
 * associative container of them (gives a map with the same keys: a
 * `std::unordered_map` for a `std::unordered_map`, else a `std::map`).
 * `future<void>` inputs give `std::monostate` values.
 *
 * The first failure (in completion order) is raised as soon as it happens,
 * unchanged; with `failure_policy::cancel_pending` the unfinished inputs
 * are cancelled first. A timeout raises herd::timeout_error under the same
 * policy. Values are copied out of the shared futures, so T must be
 * copyable.
 */
template <detail::herd_future_range R>
auto gather(const R& fs, const gather_options& options = {})
{
  detail::multi_wait mw(detail::states_of(fs));
  if (mw.size())
    detail::gather_states(mw, options, true, "herd::gather");
  return detail::collect(fs, [](const auto& f) { return detail::gathered_value(f); });
}

/// Like gather, but never raises for an input's failure: each result is an outcome.
/**
 * Python's `gather(..., return_exceptions=True)`. A timeout still raises
 * herd::timeout_error (after applying @c options.on_failure).
 */
template <detail::herd_future_range R>
auto gather_settled(const R& fs, const gather_options& options = {})
{
  detail::multi_wait mw(detail::states_of(fs));
  if (mw.size())
    detail::gather_states(mw, options, false, "herd::gather_settled");
  return detail::collect(fs, [](const auto& f) { return detail::settled_outcome(f); });
}

/// The value of one future (the single-input form of gather).
template <class T>
detail::gathered_t<T> gather(const future<T>& f, const gather_options& options = {})
{
  std::vector<future<T>> one{f};
  return std::move(gather(one, options).front());
}

/// The values of several futures of any types, as a tuple; fails fast.
/**
 * `herd::gather(f1, f2, f3)` or, with options last,
 * `herd::gather(f1, f2, herd::gather_options{.timeout = 5s})` (the type is
 * named: a braced list alone cannot be told from a future). The options
 * mean what they mean for a range.
 */
template <class T1, class T2, class... Rest>
  requires detail::futures_then<gather_options, Rest...>
auto gather(const future<T1>& f1, const future<T2>& f2, const Rest&... rest)
{
  return detail::with_trailing_options<gather_options>(detail::gather_arguments<false>(), f1, f2, rest...);
}

/// The outcomes of several futures of any types, as a tuple of
/// `herd::outcome`; never raises an input's failure. Options may come last,
/// as for the variadic gather.
template <class T1, class T2, class... Rest>
  requires detail::futures_then<gather_options, Rest...>
auto gather_settled(const future<T1>& f1, const future<T2>& f2, const Rest&... rest)
{
  return detail::with_trailing_options<gather_options>(detail::gather_arguments<true>(), f1, f2, rest...);
}

/// gather over futures that cannot notify: `std::future` or `std::shared_future`.
/**
 * They are polled on the schedule of @c options.polling (see poller); each
 * value is read as soon as it is seen ready (a `std::future` is consumed).
 * The first failure seen is raised; since standard futures cannot be
 * cancelled, @c options.on_failure has nothing to act on.
 */
template <detail::foreign_future_range R>
auto gather(R& fs, const gather_options& options = {})
{
  using value = detail::foreign_value_t<R>;
  const std::size_t n = detail::foreign_size(fs);
  std::vector<std::optional<value>> slots(n);
  std::exception_ptr failure;
  detail::progress_reporter progress(options.progress, n);
  detail::poll_foreign(
      fs, detail::deadline_after(options.timeout, options.clock), options.polling, progress, "herd::gather",
      [&](std::size_t i, auto& f)
      {
        try
        {
          slots[i].emplace(detail::foreign_value(f));
        }
        catch (...)
        {
          if (!failure)
            failure = std::current_exception();
        }
      },
      [&](std::size_t done, std::size_t total) { return failure || done == total; });
  if (failure)
    std::rethrow_exception(failure);
  std::vector<value> out;
  out.reserve(n);
  for (auto& s : slots)
    out.push_back(std::move(*s));
  return out;
}

/// gather_settled over `std::future` or `std::shared_future` (polled).
template <detail::foreign_future_range R>
auto gather_settled(R& fs, const gather_options& options = {})
{
  using value = detail::foreign_value_t<R>;
  const std::size_t n = detail::foreign_size(fs);
  std::vector<std::optional<outcome<value>>> slots(n);
  detail::progress_reporter progress(options.progress, n);
  detail::poll_foreign(
      fs, detail::deadline_after(options.timeout, options.clock), options.polling, progress, "herd::gather_settled",
      [&](std::size_t i, auto& f)
      {
        try
        {
          slots[i].emplace(detail::foreign_value(f));
        }
        catch (...)
        {
          slots[i].emplace(std::current_exception());
        }
      },
      [&](std::size_t done, std::size_t total) { return done == total; });
  std::vector<outcome<value>> out;
  out.reserve(n);
  for (auto& s : slots)
    out.push_back(std::move(*s));
  return out;
}

/// Results in completion order (see gather_iter and gather_iter_settled).
template <class Key, class Future, bool Settled>
class gather_view : public detail::completion_range<gather_view<Key, Future, Settled>>
{
  using value_t = detail::gathered_t<typename Future::value_type>;

public:
  using value_type = std::pair<Key, std::conditional_t<Settled, outcome<value_t>, value_t>>;
  using iterator = detail::completion_iterator<gather_view, value_type>;

  gather_view(std::vector<Key> keys, std::vector<Future> fs, const gather_options& o)
    : keys_(std::move(keys)), futures_(std::move(fs)), options_(o),
      cursor_(detail::states_of(futures_), o.timeout, o.clock), progress_(options_.progress, futures_.size())
  {
  }
  gather_view(const gather_view&) = delete;
  gather_view& operator=(const gather_view&) = delete;

  /// Leaving before the end applies the failure policy to what is unfinished.
  ~gather_view()
  {
    if (cursor_.consumed() < futures_.size() && options_.on_failure == failure_policy::cancel_pending)
      detail::cancel_unfinished(cursor_.waits());
  }

private:
  friend iterator;
  friend detail::completion_range<gather_view>;

  void advance()
  {
    current_.reset();
    std::optional<std::size_t> i;
    try
    {
      i = cursor_.next("herd::gather_iter");
    }
    catch (const timeout_error&)
    {
      progress_.finish(cursor_.consumed());
      throw;
    }
    if (!i)
    {
      progress_.finish(cursor_.consumed());
      return;
    }
    progress_.update(cursor_.consumed());
    if constexpr (Settled)
      current_.emplace(keys_[*i], detail::settled_outcome(futures_[*i]));
    else
      current_.emplace(keys_[*i], detail::gathered_value(futures_[*i])); // a failure is raised here
  }

  std::vector<Key> keys_;
  std::vector<Future> futures_;
  gather_options options_;
  detail::completion_cursor cursor_;
  detail::progress_reporter progress_;
  std::optional<value_type> current_;
};

namespace detail {

template <bool Settled, class R>
auto make_gather_view(const R& fs, const gather_options& o)
{
  using key = range_key_t<R>;
  using fut = range_future_t<R>;
  auto [keys, futures] = keyed_futures(fs);
  return gather_view<key, fut, Settled>(std::move(keys), std::move(futures), o);
}

} // namespace detail

/// Yields `std::pair<index_or_key, T>` as the inputs finish.
/**
 * The timeout covers the whole iteration. A failure is raised (unchanged)
 * when its item is reached. Leaving the loop early, by break or by an
 * exception, applies @c options.on_failure to the unfinished inputs.
 */
template <detail::herd_future_range R>
auto gather_iter(const R& fs, const gather_options& options = {})
{
  return detail::make_gather_view<false>(fs, options);
}

/// Like gather_iter, yielding `std::pair<index_or_key, outcome<T>>`; raises no task failure.
template <detail::herd_future_range R>
auto gather_iter_settled(const R& fs, const gather_options& options = {})
{
  return detail::make_gather_view<true>(fs, options);
}

/// Waits asynchronously for every input's value, in input order; fails fast.
/**
 * The asynchronous form of gather(). Inputs:
 * - a range of `herd::future<T>`: completes with `std::vector<T>`;
 * - an associative container of them: a map with the same keys
 *   (`std::unordered_map<Key, T>` for a `std::unordered_map`, else `std::map<Key, T>`);
 * - a range of Asio deferred operations of one type (for example a vector
 *   of `timer.async_wait(net::deferred)`): a `std::vector` of their values.
 *
 * Built on a ranged `parallel_group` (see herd/detail/op_group.hpp). The
 * value of an Asio operation is its completion minus a leading error_code or
 * exception_ptr (which is its failure): `std::monostate` for nothing, the
 * argument itself for one, a `std::tuple` for more. `future<void>` gives
 * `std::monostate`. Operations are moved from the range and started by the
 * gather.
 *
 * @par Completion Signature
 * @code void(std::exception_ptr, Result) @endcode
 * The exception is the first failure in completion order, unchanged (an
 * operation's error_code becomes a boost::system::system_error), or
 * `herd::timeout_error`; the result is then empty.
 *
 * @par Per-Operation Cancellation
 * Terminal, partial and total cancellation stop the gather: it completes
 * with `operation_aborted`. On a failure, a timeout or a cancellation the
 * Asio operations still running are cancelled and awaited (none outlives
 * the gather), and `options.on_failure == cancel_pending` cancels the
 * unfinished futures.
 *
 * The timeout runs on a herd::timer on the clock of the handler's executor
 * (herd::clock_of), so a manual clock drives it in tests; `options.progress`
 * reports each completion. A handler without an associated executor runs
 * on the system executor.
 */
template <detail::async_gather_range R, class CompletionToken = net::deferred_t>
auto async_gather(R&& fs, const gather_options& options, CompletionToken&& token = CompletionToken())
{
  return detail::async_gather_range_impl<false>(std::forward<R>(fs), options,
                                                std::forward<CompletionToken>(token));
}

/// Waits asynchronously for every input; an outcome each, no input's failure raised.
/**
 * As async_gather, with `herd::outcome<T>`s (vector or map).
 * @par Completion Signature
 * @code void(std::exception_ptr, Result) @endcode
 * The exception is set only for a timeout or a cancellation of this
 * operation.
 */
template <detail::async_gather_range R, class CompletionToken = net::deferred_t>
auto async_gather_settled(R&& fs, const gather_options& options, CompletionToken&& token = CompletionToken())
{
  return detail::async_gather_range_impl<true>(std::forward<R>(fs), options, std::forward<CompletionToken>(token));
}

/// async_gather with default options.
/**
 * @note g++ 12 miscompiles a temporary with a non-trivial destructor in a
 * `co_await` expression (it is destroyed twice), so in a coroutine write
 * `co_await herd::async_gather(fs, net::use_awaitable)` or pass a named
 * gather_options object, not a braced temporary like `{.timeout = 5s}`.
 */
template <detail::async_gather_range R, class CompletionToken = net::deferred_t>
  requires(!std::is_convertible_v<CompletionToken, gather_options>)
auto async_gather(R&& fs, CompletionToken&& token = CompletionToken())
{
  return async_gather(std::forward<R>(fs), gather_options(), std::forward<CompletionToken>(token));
}

/// async_gather_settled with default options (see the note at async_gather).
template <detail::async_gather_range R, class CompletionToken = net::deferred_t>
  requires(!std::is_convertible_v<CompletionToken, gather_options>)
auto async_gather_settled(R&& fs, CompletionToken&& token = CompletionToken())
{
  return async_gather_settled(std::forward<R>(fs), gather_options(), std::forward<CompletionToken>(token));
}

/// The variadic async_gather: herd futures and Asio deferred operations mixed.
/**
 * `async_gather(a, b, c, [options], [token])`: each input a `herd::future`
 * or an Asio deferred operation (`timer.async_wait(net::deferred)`,
 * `sock.async_read_some(buf, net::deferred)`), of any types. Built on a
 * variadic `parallel_group`; semantics as the ranged async_gather.
 *
 * @par Completion Signature
 * @code void(std::exception_ptr, std::tuple<V...>) @endcode
 * (with one input: `void(std::exception_ptr, V)`). On a failure the tuple is
 * value-initialised, so each V must be default-constructible (the settled
 * form's outcomes then hold the timeout or cancellation). Without a token
 * it returns a deferred operation.
 */
template <class First, class... Rest>
  requires detail::is_wait_input_v<First>
auto async_gather(First&& first, Rest&&... rest)
{
  return detail::call_variadic<gather_options>(
      detail::gather_variadic<false, detail::single_input_v<First, Rest...>>(),
      std::forward<First>(first), std::forward<Rest>(rest)...);
}

/// The variadic async_gather_settled: `std::tuple<herd::outcome<V>...>`.
template <class First, class... Rest>
  requires detail::is_wait_input_v<First>
auto async_gather_settled(First&& first, Rest&&... rest)
{
  return detail::call_variadic<gather_options>(
      detail::gather_variadic<true, detail::single_input_v<First, Rest...>>(),
      std::forward<First>(first), std::forward<Rest>(rest)...);
}

namespace detail {

struct zip_takes_no_options
{
};

} // namespace detail

/// Waits for every input's value: `std::tuple<V...>` (`std::monostate` for
/// `future<void>`); fails fast both ways.
/**
 * `herd::zip(a, b, token)`, or `herd::zip(a, b)` for a deferred operation
 * (`co_await herd::zip(a, b)(net::use_awaitable)`). Inputs are herd futures
 * and Asio deferred operations, mixed: zip is the variadic async_gather
 * without options, always giving a tuple.
 *
 * @par Completion Signature
 * @code void(std::exception_ptr, std::tuple<V...>) @endcode
 * The first failure of any input, unchanged, completes it and cancels the
 * unfinished inputs (futures get a cancellation request; Asio operations
 * are cancelled and awaited); the tuple is then value-initialised, so each
 * V must be default-constructible. Cancellation (terminal, partial or
 * total) completes it with the operation_aborted exception and cancels the
 * unfinished inputs too. The handler runs on its associated executor, never
 * inside this call.
 */
template <class First, class... Rest>
  requires detail::is_wait_input_v<First>
auto zip(First&& first, Rest&&... rest)
{
  return detail::call_variadic<detail::zip_takes_no_options>(detail::gather_variadic<false, false>(),
                                                            std::forward<First>(first), std::forward<Rest>(rest)...);
}

} // namespace herd

#endif // HERD_GATHER_HPP
