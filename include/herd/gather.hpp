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
#include <herd/detail/async_group.hpp>
#include <herd/detail/composed.hpp>
#include <herd/detail/foreign.hpp>
#include <herd/detail/wait_core.hpp>
#include <herd/future.hpp>
#include <herd/polling.hpp>
#include <herd/progress.hpp>
#include <herd/stream.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/deferred.hpp>

#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace herd {

/// What gather does with the inputs still pending when it fails or times out.
enum class failure_policy
{
  cancel_pending, ///< Request cancellation of every unfinished input.
  leave_pending   ///< Leave them running.
};

/// Options of gather, gather_settled and gather_iter.
struct gather_options
{
  /// Raise herd::timeout_error if not every input finished in time (for
  /// gather_iter: the whole iteration).
  std::optional<duration> timeout{};
  failure_policy on_failure = failure_policy::cancel_pending;
  progress_option progress = {};
  polling_algorithm polling = polling_algorithm::adaptive;
};

namespace detail {

template <class T>
using gathered_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
gathered_t<T> gathered_value(const future<T>& f)
{
  if constexpr (std::is_void_v<T>)
  {
    f.get();
    return {};
  }
  else
    return value_copy(f);
}

// Waits for every state, or (fail_fast) until one fails. Applies the
// policy to the unfinished inputs on a failure or a timeout, then rethrows.
inline void gather_states(multi_wait& mw, const gather_options& o, bool fail_fast, const char* call)
{
  progress_reporter progress(o.progress, mw.size());
  std::size_t checked = 0;
  std::optional<std::size_t> failed;
  try
  {
    wait_states(mw, deadline_after(o.timeout), progress, call,
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

template <class T>
outcome<gathered_t<T>> settled_outcome(const future<T>& f)
{
  if (auto e = f.exception())
    return outcome<gathered_t<T>>(e);
  return outcome<gathered_t<T>>(gathered_value(f));
}

template <class R, class Make>
auto collect(const R& fs, Make make)
{
  using value = decltype(make(future_of(*std::begin(fs))));
  if constexpr (map_like<R>)
  {
    std::map<typename R::key_type, value> out;
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
 * associative container of them (gives a `std::map` with the same keys).
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
template <class T1, class T2, class... Ts>
std::tuple<detail::gathered_t<T1>, detail::gathered_t<T2>, detail::gathered_t<Ts>...>
gather(const future<T1>& f1, const future<T2>& f2, const future<Ts>&... fs)
{
  detail::multi_wait mw(std::vector<detail::state_base*>{&detail::future_access::mutable_state(f1),
                                                         &detail::future_access::mutable_state(f2),
                                                         &detail::future_access::mutable_state(fs)...});
  detail::gather_states(mw, gather_options{}, true, "herd::gather");
  return {detail::gathered_value(f1), detail::gathered_value(f2), detail::gathered_value(fs)...};
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
      fs, detail::deadline_after(options.timeout), options.polling, progress, "herd::gather",
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
      fs, detail::deadline_after(options.timeout), options.polling, progress, "herd::gather_settled",
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
      cursor_(detail::states_of(futures_), detail::deadline_after(o.timeout)), progress_(options_.progress, futures_.size())
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

// The inputs' keys (indices, or a map's keys) and futures, in input order.
template <class R>
std::pair<std::vector<range_key_t<R>>, std::vector<range_future_t<R>>> keyed_futures(const R& fs)
{
  std::pair<std::vector<range_key_t<R>>, std::vector<range_future_t<R>>> out;
  std::size_t i = 0;
  for (const auto& e : fs)
  {
    if constexpr (map_like<R>)
      out.first.push_back(e.first);
    else
      out.first.push_back(i++);
    out.second.push_back(future_of(e));
  }
  return out;
}

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

namespace detail {

template <class T>
void apply_failure_policy(std::vector<future<T>>& fs, failure_policy policy) noexcept
{
  if (policy == failure_policy::cancel_pending)
    for (auto& f : fs)
      if (!f.done())
        f.cancel();
}

template <bool Settled>
class initiate_async_gather
{
public:
  template <class Handler, class T>
  void operator()(Handler&& handler, std::vector<future<T>> fs, gather_options o) const
  {
    using value = gathered_t<T>;
    using result = std::vector<std::conditional_t<Settled, outcome<value>, value>>;
    const char* call = Settled ? "herd::async_gather_settled" : "herd::async_gather";
    if (fs.empty())
    {
      auto ex = net::get_associated_executor(handler, net::system_executor());
      net::post(ex, [h = std::forward<Handler>(handler)]() mutable { std::move(h)(std::exception_ptr(), result()); });
      return;
    }
    auto finish = [o, call](auto& op, std::vector<std::size_t> order, bool timed_out, bool aborted)
    {
      auto& futures = op.futures();
      std::exception_ptr e;
      if (aborted)
        e = aborted_exception();
      else if (timed_out)
        e = timeout_exception(call);
      else if (!Settled)
        for (std::size_t i : order)
          if (failed_or_cancelled(future_access::state(futures[i])))
          {
            e = futures[i].exception();
            break;
          }
      result r;
      if (e)
        apply_failure_policy(futures, o.on_failure);
      else
        for (const auto& f : futures)
        {
          if constexpr (Settled)
            r.push_back(settled_outcome(f));
          else
            r.push_back(gathered_value(f));
        }
      complete_on_handler_executor(op.take_handler(), std::move(e), std::move(r));
    };
    start_group_wait(std::move(fs), Settled ? group_until::all : group_until::first_failure, o.timeout,
                     std::forward<Handler>(handler), std::move(finish));
  }
};

} // namespace detail

/// Waits asynchronously for every input's value, in input order; fails fast.
/**
 * The asynchronous form of gather(), for a range of `herd::future<T>`.
 * Built on a ranged `parallel_group` of the futures' async_wait, each bound
 * to one strand of the handler's executor: Boost 1.81's parallel_group is
 * not thread-safe otherwise (asio #1348), and futures settle on any thread.
 *
 * @par Completion Signature
 * @code void(std::exception_ptr, std::vector<T>) @endcode
 * (`std::monostate` elements for `future<void>`). The exception is the first
 * failure in completion order, unchanged, or `herd::timeout_error`.
 *
 * @par Per-Operation Cancellation
 * Terminal, partial and total cancellation stop the gather: it completes
 * with `operation_aborted`. On a failure, a timeout or a cancellation,
 * `options.on_failure == cancel_pending` cancels the unfinished inputs.
 *
 * The timeout runs on a herd::timer on the clock of the handler's executor
 * (herd::clock_of), so a manual clock drives it in tests.
 */
template <detail::herd_future_range R, class CompletionToken = net::deferred_t>
  requires(!detail::map_like<R>)
auto async_gather(const R& fs, const gather_options& options, CompletionToken&& token = CompletionToken())
{
  using value = detail::gathered_t<detail::range_value_t<R>>;
  return net::async_initiate<CompletionToken, void(std::exception_ptr, std::vector<value>)>(
      detail::initiate_async_gather<false>(), token, detail::futures_of(fs), options);
}

/// Waits asynchronously for every input; an outcome each, no task failure raised.
/**
 * @par Completion Signature
 * @code void(std::exception_ptr, std::vector<herd::outcome<T>>) @endcode
 * The exception is set only for a timeout or a cancellation of this
 * operation (see async_gather).
 */
template <detail::herd_future_range R, class CompletionToken = net::deferred_t>
  requires(!detail::map_like<R>)
auto async_gather_settled(const R& fs, const gather_options& options, CompletionToken&& token = CompletionToken())
{
  using value = detail::gathered_t<detail::range_value_t<R>>;
  return net::async_initiate<CompletionToken, void(std::exception_ptr, std::vector<outcome<value>>)>(
      detail::initiate_async_gather<true>(), token, detail::futures_of(fs), options);
}

/// async_gather with default options.
/**
 * @note g++ 12 miscompiles a temporary with a non-trivial destructor in a
 * `co_await` expression (it is destroyed twice), so in a coroutine write
 * `co_await herd::async_gather(fs, net::use_awaitable)` or pass a named
 * gather_options object, not a braced temporary like `{.timeout = 5s}`.
 */
template <detail::herd_future_range R, class CompletionToken = net::deferred_t>
  requires(!detail::map_like<R> && !std::is_convertible_v<CompletionToken, gather_options>)
auto async_gather(const R& fs, CompletionToken&& token = CompletionToken())
{
  return async_gather(fs, gather_options(), std::forward<CompletionToken>(token));
}

/// async_gather_settled with default options (see the note at async_gather).
template <detail::herd_future_range R, class CompletionToken = net::deferred_t>
  requires(!detail::map_like<R> && !std::is_convertible_v<CompletionToken, gather_options>)
auto async_gather_settled(const R& fs, CompletionToken&& token = CompletionToken())
{
  return async_gather_settled(fs, gather_options(), std::forward<CompletionToken>(token));
}

namespace detail {

template <bool Settled, class R>
auto make_gather_stream(const net::any_io_executor& ex, const R& fs, const gather_options& o, const char* call)
{
  using key = range_key_t<R>;
  using fut = range_future_t<R>;
  using value_t = gathered_t<typename fut::value_type>;
  using item = std::pair<key, std::conditional_t<Settled, outcome<value_t>, value_t>>;
  if (!ex)
    throw std::invalid_argument(std::string(call) + ": ex must not be empty");
  auto [keys, futures] = keyed_futures(fs);
  const std::size_t capacity = futures.size() + 1; // every item fits: the waits never block
  return streams::generate<item>(
      ex,
      [keys = std::move(keys), futures = std::move(futures), o, call](stream_sink<item>& out) mutable
      -> net::awaitable<void>
      {
        const std::size_t n = futures.size();
        auto ex = co_await net::this_coro::executor;
        // Indices of finished inputs, in the order their completions reach
        // this strand (inputs already finished: in input order); n means the timeout.
        using index_channel = net::experimental::concurrent_channel<void(boost::system::error_code, std::size_t)>;
        auto done = std::make_shared<index_channel>(ex, n + 1);
        for (std::size_t k = 0; k < n; ++k)
          futures[k].async_wait(net::bind_executor(
              ex, [done, k](auto&&...) { done->try_send(boost::system::error_code(), k); }));
        std::optional<herd::timer> timer;
        if (o.timeout)
        {
          timer.emplace(ex);
          timer->expires_after(*o.timeout);
          timer->async_wait([done, n](boost::system::error_code ec)
                            { if (!ec) done->try_send(boost::system::error_code(), n); });
        }
        try
        {
          for (std::size_t left = n; left > 0; --left)
          {
            std::size_t k = co_await done->async_receive(net::use_awaitable);
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
          throw;
        }
        if (timer)
          timer->cancel();
      },
      capacity);
}

} // namespace detail

/// The inputs' values as a herd::stream of `std::pair<index_or_key, T>`, in
/// completion order: gather_iter for coroutines and stream pipelines.
/**
 * A failure is delivered (unchanged) when its item is reached, and ends the
 * stream; the timeout (on the clock of @c ex) covers the whole iteration and
 * fails the stream with timeout_error. A failure, the timeout, or stopping
 * the stream before its end (destroying it, or cancelling a wait) applies
 * @c options.on_failure to the unfinished inputs. No progress display.
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

namespace detail {

// zip: every input's value as a tuple; the first failure (or a cancellation)
// completes it at once and cancels the unfinished inputs.
template <class Handler, class... T>
class zip_op : public composed_op<zip_op<Handler, T...>, Handler,
                                  std::tuple<std::exception_ptr, std::tuple<gathered_t<T>...>>>
{
  using result = std::tuple<gathered_t<T>...>;
  using base = composed_op<zip_op, Handler, std::tuple<std::exception_ptr, result>>;
  friend base;

public:
  zip_op(Handler&& h, std::tuple<future<T>...> fs) : base(std::move(h)), fs_(std::move(fs)) {}

  void start()
  {
    this->start_here([](zip_op& self) { self.wait_all(std::index_sequence_for<T...>()); });
  }

private:
  void on_cancel(net::cancellation_type) { fail(aborted_exception()); }

  template <std::size_t... I>
  void wait_all(std::index_sequence<I...>)
  {
    (std::get<I>(fs_).async_wait(this->on_strand([](zip_op& self, std::exception_ptr e, auto&&... v)
                                                 { self.template settled<I>(e, std::forward<decltype(v)>(v)...); })),
     ...);
  }

  template <std::size_t I, class... V>
  void settled(std::exception_ptr e, V&&... v)
  {
    if (this->finished_)
      return;
    if (e)
    {
      fail(std::move(e));
      return;
    }
    std::get<I>(values_).emplace(std::forward<V>(v)...);
    if (++done_ == sizeof...(T))
      this->finish({std::exception_ptr(), std::apply([](auto&... o) { return result(std::move(*o)...); }, values_)});
  }

  void fail(std::exception_ptr e)
  {
    this->finish({std::move(e), result()});
    // Cancelled from a step of its own: a cancelled future completes our
    // wait on it at once, and that wait takes the lock this step holds.
    net::post(this->strand_,
              [fs = fs_]() { std::apply([](auto&... f) { ((f.done() ? void() : void(f.cancel())), ...); }, fs); });
  }

  std::tuple<future<T>...> fs_;
  std::tuple<std::optional<gathered_t<T>>...> values_;
  std::size_t done_ = 0;
};

struct initiate_zip
{
  template <class Handler, class... T>
  void operator()(Handler&& handler, std::tuple<future<T>...> fs) const
  {
    std::make_shared<zip_op<std::decay_t<Handler>, T...>>(std::forward<Handler>(handler), std::move(fs))->start();
  }
};

template <class Token, class... T>
auto zip_with(Token&& token, const future<T>&... fs)
{
  return net::async_initiate<Token, void(std::exception_ptr, std::tuple<gathered_t<T>...>)>(
      initiate_zip(), token, std::tuple<future<T>...>(fs...));
}

} // namespace detail

/// Waits for every future's value: `std::tuple<T...>` (`std::monostate` for
/// `future<void>`); fails fast both ways.
/**
 * `herd::zip(a, b, token)`, or `herd::zip(a, b)` for a deferred operation
 * (`co_await herd::zip(a, b)(net::use_awaitable)`).
 *
 * @par Completion Signature
 * @code void(std::exception_ptr, std::tuple<T...>) @endcode
 * The first failure of any input, unchanged, completes it at once and
 * cancels the unfinished inputs (the tuple is then value-initialised, so
 * each T must be default-constructible). Cancellation (terminal, partial or
 * total) completes it with the operation_aborted exception and cancels the
 * unfinished inputs too. The handler runs on its associated executor, never
 * inside this call.
 */
template <class... Args>
  requires(sizeof...(Args) >= 1)
auto zip(Args&&... args)
{
  using last = std::remove_cvref_t<std::tuple_element_t<sizeof...(Args) - 1, std::tuple<Args...>>>;
  if constexpr (detail::is_herd_future<last>::value)
  {
    return detail::zip_with(net::deferred, args...);
  }
  else
  {
    static_assert(sizeof...(Args) >= 2, "herd::zip: at least one future is needed");
    auto t = std::forward_as_tuple(std::forward<Args>(args)...);
    return [&]<std::size_t... I>(std::index_sequence<I...>)
    { return detail::zip_with(std::get<sizeof...(Args) - 1>(std::move(t)), std::get<I>(t)...); }(
               std::make_index_sequence<sizeof...(Args) - 1>());
  }
}

} // namespace herd

#endif // HERD_GATHER_HPP
