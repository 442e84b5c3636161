//
// herd/wait.hpp
// ~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_WAIT_HPP
#define HERD_WAIT_HPP

#include <herd/config.hpp>
#include <herd/detail/foreign.hpp>
#include <herd/detail/op_group.hpp>
#include <herd/detail/wait_core.hpp>
#include <herd/future.hpp>
#include <herd/polling.hpp>
#include <herd/progress.hpp>

#include <optional>
#include <string_view>

namespace herd {

/// When herd::wait returns.
enum class return_when
{
  all_completed,   ///< Every input has finished.
  first_completed, ///< At least one input has finished.
  first_exception  ///< An input failed, or else every input has finished.
};

/// Parses "all_completed", "first_completed", "first_exception" and the
/// aliases "all", "first", "exception", case-insensitively.
/**
 * @throws std::invalid_argument naming `return_when` and the bad text.
 */
HERD_DECL return_when parse_return_when(std::string_view text);

/// Options of herd::wait.
struct wait_options
{
  return_when when = return_when::all_completed;
  /// Raise herd::timeout_error if the condition is not met in time.
  std::optional<duration> timeout{};
  /// Report progress (see progress_option).
  progress_option progress = {};
  /// How foreign (std::) futures are polled; herd futures never poll.
  polling_algorithm polling = polling_algorithm::adaptive;
  /// The clock @c timeout runs on. nullptr: the clock of the executor that
  /// runs the first unfinished input (herd::clock_of; so a manual clock
  /// installed on a pool drives the timeouts of waits on its tasks), else
  /// herd::system_clock(). On a virtual clock the waiting thread wakes when
  /// another thread advances the clock past the deadline.
  herd::clock* clock = nullptr;
};

/// What herd::wait returns: the inputs split by whether they had finished.
/**
 * Both keep the input's container kind and order: a map stays a map with
 * its keys, a vector a vector. Inputs that are not growable sequences
 * (`std::array`, `std::span`) give `std::vector`s.
 */
template <class Container>
struct wait_result
{
  Container done;
  Container not_done;
};

namespace detail {

// A named concept: g++ 12 cannot mangle a requires-expression in a signature.
template <class R>
concept growable_sequence = requires(R r, range_element_t<R> e) { r.push_back(e); };

template <class R>
using wait_container_t = std::conditional_t<map_like<R> || growable_sequence<R>, std::remove_cvref_t<R>,
                                            std::vector<range_element_t<R>>>;

// The inputs (a range or a map of futures) split by whether they are done,
// each part of the container kind of wait's result.
template <class Container, class R>
wait_result<Container> split_by_done(const R& fs)
{
  wait_result<Container> r;
  for (const auto& e : fs)
  {
    Container& into = future_of(e).done() ? r.done : r.not_done;
    if constexpr (map_like<Container>)
      into.emplace(e.first, e.second);
    else
      into.push_back(e);
  }
  return r;
}

} // namespace detail

namespace detail {

// Blocks on the states until the condition in options.when holds.
inline void wait_until_condition(std::vector<state_base*> states, const wait_options& options)
{
  if (states.empty())
    return;
  multi_wait mw(std::move(states));
  progress_reporter progress(options.progress, mw.size());
  std::size_t failures_seen = 0, checked = 0;
  wait_states(mw, deadline_after(options.timeout, options.clock, mw), progress, "herd::wait",
              [&](std::size_t settled)
              {
                if (settled == mw.size())
                  return true;
                switch (options.when)
                {
                case return_when::first_completed: return settled > 0;
                case return_when::first_exception:
                  for (; checked < settled; ++checked)
                    failures_seen += mw.state(mw.settled_at(checked)).state() == task_state::failed;
                  return failures_seen > 0;
                case return_when::all_completed: break;
                }
                return false;
              });
}

} // namespace detail

/// Blocks until the condition in @c options.when holds, then splits the inputs.
/**
 * @param fs A range of `herd::future<T>` or an associative container
 * mapping keys to them. An empty input returns at once.
 *
 * `first_completed` returns everything done at that moment;
 * `first_exception` returns when an input has failed (a cancelled input does
 * not count, as in Python) and otherwise when all are done. wait never
 * cancels anything.
 *
 * @throws herd::timeout_error when @c options.timeout passes first.
 * @throws std::logic_error when waiting without a timeout on a thread of
 * the executor that must run an unfinished input could deadlock.
 */
template <detail::herd_future_range R>
wait_result<detail::wait_container_t<R>> wait(const R& fs, const wait_options& options = {})
{
  using container = detail::wait_container_t<R>;
  detail::wait_until_condition(detail::states_of(fs), options);
  return detail::split_by_done<container>(fs);
}

/// wait over `std::shared_future`s, which cannot notify and are polled.
/**
 * Polled on the schedule of @c options.polling (see poller); the result
 * splits copies of the inputs as for herd futures. A `std::future` cannot
 * be copied into the result: gather it, or share() it first.
 */
template <detail::shared_future_range R>
wait_result<detail::wait_container_t<R>> wait(const R& fs, const wait_options& options = {})
{
  using container = detail::wait_container_t<R>;
  detail::progress_reporter progress(options.progress, detail::foreign_size(fs));
  bool failed = false;
  auto copy = fs; // shared futures: reading them leaves the inputs untouched
  detail::poll_foreign(
      copy, detail::deadline_after(options.timeout, options.clock), options.polling, progress, "herd::wait",
      [&](std::size_t, auto& f)
      {
        if (options.when != return_when::first_exception)
          return;
        try
        {
          f.get();
        }
        catch (...)
        {
          failed = true;
        }
      },
      [&](std::size_t done, std::size_t total)
      {
        if (done == total)
          return true;
        switch (options.when)
        {
        case return_when::first_completed: return done > 0;
        case return_when::first_exception: return failed;
        case return_when::all_completed: break;
        }
        return false;
      });
  wait_result<container> r;
  for (const auto& f : fs)
    (detail::foreign_ready(f) ? r.done : r.not_done).push_back(f);
  return r;
}

/// wait over futures of any types given as arguments, options last:
/// `herd::wait(f1, f2, herd::wait_options{.when = herd::return_when::first_completed})`.
/**
 * Returns the argument positions (0 for @c f1), split by whether each
 * future was done when the condition held.
 */
template <class T1, class T2, class... Rest>
  requires detail::futures_then<wait_options, Rest...>
wait_result<std::vector<std::size_t>> wait(const future<T1>& f1, const future<T2>& f2, const Rest&... rest)
{
  return detail::with_trailing_options<wait_options>(
      [](const wait_options& o, const auto&... fs)
      {
        detail::wait_until_condition({&detail::future_access::mutable_state(fs)...}, o);
        wait_result<std::vector<std::size_t>> r;
        std::size_t i = 0;
        ((fs.done() ? r.done : r.not_done).push_back(i++), ...);
        return r;
      },
      f1, f2, rest...);
}

/// Blocks until @c f is done; the single-future form of wait. Returns done().
template <class T>
bool wait(const future<T>& f, const wait_options& options = {})
{
  std::vector<future<T>> one{f};
  return !wait(one, options).done.empty();
}

namespace detail {

inline group_until until_of(return_when w) noexcept
{
  switch (w)
  {
  case return_when::first_completed: return group_until::first;
  case return_when::first_exception: return group_until::first_exception;
  case return_when::all_completed: break;
  }
  return group_until::all;
}

// Splits the caller's futures (a copy) by whether they are done.
template <class Container>
struct wait_split
{
  Container all;

  wait_result<Container> operator()() const { return split_by_done<Container>(all); }
};

// The variadic form's result: the argument positions, split.
struct position_split
{
  template <class Inputs>
  wait_result<std::vector<std::size_t>> operator()(Inputs& in) const
  {
    wait_result<std::vector<std::size_t>> r;
    for_each_input(in, [&](std::size_t i, auto& x) { (x.finished() ? r.done : r.not_done).push_back(i); });
    return r;
  }
};

template <class Split>
struct wait_finish
{
  Split split;

  template <class Group>
  void operator()(Group& g, group_result r) const
  {
    using result = decltype(call(g.inputs()));
    std::exception_ptr e = group_failure(r, "herd::async_wait");
    if (e) // a timeout or a cancellation: wait never cancels the inputs
      g.complete(std::move(e), result());
    else
      g.complete(std::exception_ptr(), call(g.inputs()));
  }

  template <class Inputs>
  auto call(Inputs& in) const
  {
    if constexpr (std::is_invocable_v<const Split&, Inputs&>)
      return split(in);
    else
      return split();
  }
};

struct initiate_async_wait
{
  template <class Handler, class Inputs, class Split>
  void operator()(Handler&& handler, Inputs in, Split split, wait_options o) const
  {
    wait_finish<Split> finish{std::move(split)};
    if (input_count(in) == 0)
    {
      post_to_handler_executor(std::forward<Handler>(handler), std::exception_ptr(), finish.call(in));
      return;
    }
    start_op_group(std::move(in), until_of(o.when), o.timeout, o.progress, std::forward<Handler>(handler),
                   std::move(finish));
  }
};

// An Asio operation waited on by async_wait: started here, it settles a
// promise from its own completion; async_wait never cancels it, and an
// operation unfinished when the wait completes runs on to its end.
template <class In>
auto waited_input(In&& in)
{
  if constexpr (std::remove_cvref_t<In>::is_future)
    return std::move(in);
  else
  {
    using value = typename std::remove_cvref_t<In>::value_type;
    auto p = std::make_shared<promise<value>>();
    future<value> f = p->get_future();
    std::move(*in.op_)([p](auto&&... a) { settle_promise(*p, std::forward<decltype(a)>(a)...); });
    return group_input<future<value>>(std::move(f));
  }
}

struct initiate_async_wait_variadic
{
  template <class Handler, class... In>
  void operator()(Handler&& handler, std::tuple<In...> in, wait_options o) const
  {
    auto futures = std::apply([](auto&... x) { return std::make_tuple(waited_input(std::move(x))...); }, in);
    initiate_async_wait()(std::forward<Handler>(handler), std::move(futures), position_split(), std::move(o));
  }
};

struct wait_variadic
{
  template <class Token, class... In, class Options>
  auto operator()(Token&& token, std::tuple<In...> in, Options options) const
  {
    wait_options o;
    if constexpr (std::is_same_v<Options, wait_options>)
      o = std::move(options);
    return net::async_initiate<Token, void(std::exception_ptr, wait_result<std::vector<std::size_t>>)>(
        initiate_async_wait_variadic(), token, std::move(in), o);
  }
};

} // namespace detail

/// Waits asynchronously until the condition in @c options.when holds, then
/// splits the inputs (the asynchronous form of wait()).
/**
 * @param fs A range of `herd::future<T>` or an associative container
 * mapping keys to them. Or variadic: `async_wait(a, b, c, [options],
 * [token])` over herd futures of any types, which completes with the
 * argument positions split: `wait_result<std::vector<std::size_t>>`.
 *
 * Built on a `parallel_group` of the futures' async_wait (see
 * herd/detail/op_group.hpp): completions are pushed, never polled. The
 * variadic form also takes Asio deferred operations (see below); the
 * ranged forms take futures, whose unfinished ones the result hands back.
 *
 * @par Completion Signature
 * @code void(std::exception_ptr, herd::wait_result<Container>) @endcode
 * Container as for wait(). The exception is herd::timeout_error when
 * @c options.timeout (on the clock of the handler's executor) passes first,
 * or operation_aborted; the result is then empty. An empty input completes
 * at once. async_wait never cancels an input: a timeout or a cancellation
 * only stops the waiting.
 *
 * @par Per-Operation Cancellation
 * Terminal, partial and total.
 */
template <detail::herd_future_range R, class CompletionToken = net::deferred_t>
auto async_wait(const R& fs, const wait_options& options, CompletionToken&& token = CompletionToken())
{
  using container = detail::wait_container_t<R>;
  container all;
  if constexpr (std::is_same_v<container, std::remove_cvref_t<R>>)
    all = fs;
  else
    all.assign(std::begin(fs), std::end(fs));
  std::vector<detail::group_input<detail::range_future_t<R>>> in;
  for (const auto& e : all)
    in.emplace_back(detail::future_of(e));
  return net::async_initiate<CompletionToken, void(std::exception_ptr, wait_result<container>)>(
      detail::initiate_async_wait(), token, std::move(in), detail::wait_split<container>{std::move(all)}, options);
}

/// async_wait with default options (every input finished).
/**
 * @note In a coroutine pass a named wait_options, not a braced temporary
 * (see the note at herd::async_gather).
 */
template <detail::herd_future_range R, class CompletionToken = net::deferred_t>
  requires(!std::is_convertible_v<CompletionToken, wait_options>)
auto async_wait(const R& fs, CompletionToken&& token = CompletionToken())
{
  return async_wait(fs, wait_options(), std::forward<CompletionToken>(token));
}

/// The variadic async_wait: herd futures of any types and Asio deferred
/// operations, mixed; completes with the argument positions split.
/**
 * An Asio operation is started by async_wait (when the operation is
 * initiated) and settles from its own completion handler; as async_wait
 * never cancels anything, an operation still running when it completes
 * runs on to its end (its result is then dropped).
 */
template <class First, class... Rest>
  requires detail::is_wait_input_v<First>
auto async_wait(First&& first, Rest&&... rest)
{
  return detail::call_variadic<wait_options>(detail::wait_variadic(), std::forward<First>(first),
                                             std::forward<Rest>(rest)...);
}

/// The inputs in the order they finish (see as_completed()).
template <class Future>
class completion_view : public detail::completion_range<completion_view<Future>>
{
public:
  using iterator = detail::completion_iterator<completion_view, const Future>;

  completion_view(std::vector<Future> fs, std::optional<duration> timeout, herd::clock* clock)
    : futures_(std::move(fs)), cursor_(detail::states_of(futures_), timeout, clock)
  {
  }
  completion_view(const completion_view&) = delete;
  completion_view& operator=(const completion_view&) = delete;

private:
  friend iterator;
  friend detail::completion_range<completion_view>;

  void advance()
  {
    current_.reset();
    if (auto i = cursor_.next("herd::as_completed"))
      current_ = futures_[*i];
  }

  std::vector<Future> futures_;
  detail::completion_cursor cursor_;
  std::optional<Future> current_;
};

/// Yields the futures of @c fs in the order they finish.
/**
 * Completion is pushed: the loop wakes as each input finishes. Leaving the
 * loop early cancels nothing. For an associative input the mapped futures
 * are yielded.
 *
 * @throws herd::timeout_error from the iteration when @c timeout (for the
 * whole iteration, from this call) passes before the next input finishes.
 * The timeout runs on @c clock; nullptr picks it as wait_options::clock
 * says (the inputs' executor's clock, else the system clock).
 */
template <detail::herd_future_range R>
completion_view<detail::range_future_t<R>> as_completed(const R& fs, std::optional<duration> timeout = std::nullopt,
                                                        herd::clock* clock = nullptr)
{
  std::vector<detail::range_future_t<R>> v;
  for (const auto& e : fs)
    v.push_back(detail::future_of(e));
  return completion_view<detail::range_future_t<R>>(std::move(v), timeout, clock);
}

namespace detail {

// What async_executor::wait and as_completed call (see async_executor.hpp).
template <class R>
struct executor_waits
{
  static constexpr bool included = true;

  static auto wait(herd::clock& c, const R& fs, wait_options o = {})
  {
    // (A null clock means the executor's: see async_executor::wait.)
    if (!o.clock)
      o.clock = &c;
    return herd::wait(fs, o);
  }

  static auto as_completed(herd::clock& c, const R& fs, std::optional<duration> timeout = std::nullopt)
  {
    return herd::as_completed(fs, timeout, &c);
  }
};

} // namespace detail

} // namespace herd

#if defined(HERD_HEADER_ONLY)
#include <herd/impl/wait.ipp>
#endif

#endif // HERD_WAIT_HPP
