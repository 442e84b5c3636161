//
// herd/gather_iter.hpp
// ~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_GATHER_ITER_HPP
#define HERD_GATHER_ITER_HPP

// async_gather_iter and async_gather_iter_settled: the inputs of a gather
// as a herd::stream, in completion order. (A stream, so it is in the streams
// layer, above gather.hpp: see test/layout/include_graph.cpp.)
#include <herd/config.hpp>
#include <herd/gather.hpp>
#include <herd/stream.hpp>

#include <utility>
#include <vector>

namespace herd {

namespace detail {

// Cancels the unfinished inputs, if the policy says so.
template <class T>
void apply_failure_policy(std::vector<future<T>>& fs, failure_policy policy) noexcept
{
  if (policy == failure_policy::cancel_pending)
    for (auto& f : fs)
      if (!f.done())
        f.cancel();
}

// The stream of async_gather_iter over keys and futures. `launch(ex)` runs
// first inside the producer and returns what stops the Asio operations it
// started (for a range of operations; nothing for futures).
template <bool Settled, class Key, class Fut, class Launch>
auto gather_stream(const net::any_io_executor& ex, std::vector<Key> keys, std::vector<Fut> futures,
                   const gather_options& o, const char* call, Launch launch)
{
  using key = Key;
  using fut = Fut;
  using value_t = gathered_t<typename fut::value_type>;
  using item = std::pair<key, std::conditional_t<Settled, outcome<value_t>, value_t>>;
  if (!ex)
    throw std::invalid_argument(std::string(call) + ": ex must not be empty");
  const std::size_t capacity = futures.size() + 1; // every item fits: the waits never block
  return streams::generate<item>(
      ex,
      [keys = std::move(keys), futures = std::move(futures), o, call, launch = std::move(launch)](
          stream_sink<item>& out) mutable -> net::awaitable<void>
      {
        const std::size_t n = futures.size();
        auto ex = co_await net::this_coro::executor;
        auto stop_operations = launch(ex);
        // Indices of finished inputs, in the order their completions reach
        // this strand (inputs already finished: in input order); n means the timeout.
        using index_channel = net::experimental::concurrent_channel<void(boost::system::error_code, std::size_t)>;
        auto done = std::make_shared<index_channel>(ex, n + 1);
        // One signal a wait: however the producer ends, the waits still
        // parked are withdrawn (under leave_pending the inputs go on, but
        // nothing of the stream keeps its executor busy). Each handler keeps
        // the signals alive; its slot is cleared before it runs.
        auto waits = std::make_shared<std::vector<net::cancellation_signal>>(n);
        struct withdraw_waits
        {
          std::vector<net::cancellation_signal>& signals;
          ~withdraw_waits()
          {
            for (auto& s : signals)
              s.emit(net::cancellation_type::terminal);
          }
        } withdraw{*waits};
        for (std::size_t k = 0; k < n; ++k)
          futures[k].async_wait(net::bind_cancellation_slot(
              (*waits)[k].slot(),
              net::bind_executor(ex, [done, k, waits](auto&&...) { done->try_send(boost::system::error_code(), k); })));
        std::optional<herd::timer> timer;
        if (o.timeout)
        {
          timer.emplace(ex);
          timer->expires_after(*o.timeout);
          timer->async_wait([done, n](boost::system::error_code ec)
                            { if (!ec) done->try_send(boost::system::error_code(), n); });
        }
        progress_reporter progress(o.progress, n);
        std::size_t consumed = 0;
        try
        {
          for (std::size_t left = n; left > 0; --left)
          {
            std::size_t k = co_await done->async_receive(net::use_awaitable);
            progress.update(++consumed);
            if (k == n)
              throw timeout_error(std::string(call) + ": the timeout expired before every input finished");
            std::optional<item> v;
            if constexpr (Settled)
              v.emplace(keys[k], settled_outcome(futures[k]));
            else
              v.emplace(keys[k], gathered_value(futures[k])); // a failure is raised here
            co_await out.push(std::move(*v));
          }
        }
        catch (...)
        {
          // A failure, the timeout, or the consumer leaving early.
          if (timer)
            timer->cancel();
          apply_failure_policy(futures, o.on_failure);
          if (o.on_failure == failure_policy::cancel_pending)
            stop_operations();
          progress.finish(consumed);
          throw;
        }
        progress.finish(consumed);
        if (timer)
          timer->cancel();
      },
      capacity);
}

template <bool Settled, class R>
auto make_gather_stream(const net::any_io_executor& ex, const R& fs, const gather_options& o, const char* call)
{
  auto [keys, futures] = keyed_futures(fs);
  return gather_stream<Settled>(ex, std::move(keys), std::move(futures), o, call,
                                [](const net::any_io_executor&) { return [] {}; });
}

// A range of Asio operations: each is started by the stream's producer and
// settles a promise; stopping the stream early (or a failure, or the
// timeout) cancels those still running under failure_policy::cancel_pending.
template <bool Settled, class R>
auto make_operation_stream(const net::any_io_executor& ex, R&& ops, const gather_options& o, const char* call)
{
  using op = std::remove_cvref_t<decltype(*std::begin(ops))>;
  using value = typename group_input<op>::value_type;
  std::vector<op> moved;
  for (auto&& x : ops)
    moved.push_back(std::move(x));
  std::vector<std::size_t> keys;
  std::vector<future<value>> futures;
  std::vector<std::shared_ptr<promise<value>>> promises;
  for (std::size_t k = 0; k < moved.size(); ++k)
  {
    keys.push_back(k);
    promises.push_back(std::make_shared<promise<value>>());
    futures.push_back(promises.back()->get_future());
  }
  auto launch = [moved = std::move(moved), promises = std::move(promises)](const net::any_io_executor& ex) mutable
  {
    auto signals = std::make_shared<std::vector<net::cancellation_signal>>(moved.size());
    for (std::size_t k = 0; k < moved.size(); ++k)
      std::move(moved[k])(net::bind_cancellation_slot(
          (*signals)[k].slot(),
          net::bind_executor(ex,
                             // The handler keeps the signals alive: its slot is cleared when it runs.
                             [p = promises[k], signals](auto&&... a)
                             { settle_promise(*p, std::forward<decltype(a)>(a)...); })));
    return [signals]
    {
      for (auto& s : *signals)
        s.emit(net::cancellation_type::terminal);
    };
  };
  return gather_stream<Settled>(ex, std::move(keys), std::move(futures), o, call, std::move(launch));
}

} // namespace detail

/// The inputs' values as a herd::stream of `std::pair<index_or_key, T>`, in
/// completion order: gather_iter for coroutines and stream pipelines.
/**
 * A failure is delivered (unchanged) when its item is reached, and ends the
 * stream; the timeout (on the clock of @c ex) covers the whole iteration and
 * fails the stream with timeout_error. A failure, the timeout, or stopping
 * the stream before its end (destroying it, or cancelling a wait) applies
 * @c options.on_failure to the unfinished inputs. `options.progress`
 * counts the inputs as the stream reaches them.
 *
 * @code
 * auto s = herd::async_gather_iter(ex, futures);
 * while (auto r = co_await s.next()) use(r->first, r->second);
 * @endcode
 * @throws std::invalid_argument if ex is empty.
 */
template <detail::herd_future_range R>
stream<std::pair<detail::range_key_t<R>, detail::gathered_t<detail::range_value_t<R>>>>
async_gather_iter(const net::any_io_executor& ex, const R& fs, const gather_options& options = {})
{
  return detail::make_gather_stream<false>(ex, fs, options, "herd::async_gather_iter");
}

/// Like async_gather_iter, with `outcome<T>`s: no failure ends the stream.
template <detail::herd_future_range R>
stream<std::pair<detail::range_key_t<R>, outcome<detail::gathered_t<detail::range_value_t<R>>>>>
async_gather_iter_settled(const net::any_io_executor& ex, const R& fs, const gather_options& options = {})
{
  return detail::make_gather_stream<true>(ex, fs, options, "herd::async_gather_iter_settled");
}

/// async_gather_iter over a range of Asio deferred operations of one type.
/**
 * The operations are moved from @c ops and started by the stream's producer
 * (on @c ex); items are `std::pair<std::size_t, V>` (V as in async_gather).
 * A failure, the timeout or stopping the stream early cancels the
 * operations still running under `failure_policy::cancel_pending`.
 */
template <detail::operation_range R>
auto async_gather_iter(const net::any_io_executor& ex, R&& ops, const gather_options& options = {})
{
  return detail::make_operation_stream<false>(ex, std::forward<R>(ops), options, "herd::async_gather_iter");
}

/// async_gather_iter_settled over a range of Asio deferred operations.
template <detail::operation_range R>
auto async_gather_iter_settled(const net::any_io_executor& ex, R&& ops, const gather_options& options = {})
{
  return detail::make_operation_stream<true>(ex, std::forward<R>(ops), options, "herd::async_gather_iter_settled");
}

} // namespace herd

#endif // HERD_GATHER_ITER_HPP
