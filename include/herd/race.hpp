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
#include <herd/clock.hpp>
#include <herd/detail/op_group.hpp>
#include <herd/detail/composed.hpp>
#include <herd/detail/op_traits.hpp>
#include <herd/detail/wait_core.hpp>
#include <herd/future.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

namespace herd {

namespace detail {

// The value an input gives as a race's winner: a future's wait value
// (herd::wait_value_t<T>, std::monostate for void), an operation's value.
template <class In>
auto race_value(In& in)
{
  if constexpr (In::is_future)
  {
    using T = typename decltype(in.f_)::value_type;
    if constexpr (std::is_void_v<T>)
      return std::monostate();
    else if constexpr (std::is_same_v<wait_value_t<T>, T>)
      return in.f_.get();
    else
      return std::shared_ptr<const T>(std::make_shared<future<T>>(in.f_), &in.f_.get());
  }
  else
    return in.take_value();
}

template <class In>
using race_value_t = decltype(race_value(std::declval<In&>()));

template <class... V>
struct all_same : std::true_type
{
};

template <class V0, class... V>
struct all_same<V0, V...> : std::conjunction<std::is_same<V0, V>...>
{
};

// A variadic race's value: V when every input gives V, else
// std::variant<V...> holding the winner at its input's index.
template <class... In>
using variadic_race_t = std::conditional_t<all_same<race_value_t<In>...>::value,
                                           std::tuple_element_t<0, std::tuple<race_value_t<In>...>>,
                                           std::variant<race_value_t<In>...>>;

template <class Inputs>
struct race_result;

template <class In>
struct race_result<std::vector<In>>
{
  using type = race_value_t<In>;
  static type of(std::vector<In>& in, std::size_t i) { return race_value(in[i]); }
};

template <class... In>
struct race_result<std::tuple<In...>>
{
  using type = variadic_race_t<In...>;
  static type of(std::tuple<In...>& in, std::size_t i)
  {
    std::optional<type> out;
    [&]<std::size_t... I>(std::index_sequence<I...>)
    {
      (void)((I == i ? (emplace<I>(out, std::get<I>(in)), true) : false) || ...);
    }(std::index_sequence_for<In...>());
    return std::move(*out);
  }

  template <std::size_t I, class X>
  static void emplace(std::optional<type>& out, X& x)
  {
    if constexpr (all_same<race_value_t<In>...>::value)
      out.emplace(race_value(x));
    else
      out.emplace(std::in_place_index<I>, race_value(x));
  }
};

// A ranged race over future<void> completes with void(exception_ptr).
template <class Inputs>
inline constexpr bool void_race_v = false;

template <class T>
inline constexpr bool void_race_v<std::vector<group_input<future<T>>>> = std::is_void_v<T>;

template <class Inputs>
using race_signature_t =
    std::conditional_t<void_race_v<Inputs>, void(std::exception_ptr),
                       void(std::exception_ptr, typename race_result<Inputs>::type)>;

template <group_until Until>
struct race_finish
{
  template <class Group>
  void operator()(Group& g, group_result r) const
  {
    auto& in = g.inputs();
    using result = race_result<std::remove_reference_t<decltype(in)>>;
    std::exception_ptr e = group_failure(r, "");
    std::optional<std::size_t> winner;
    if (!e)
    {
      if constexpr (Until == group_until::first)
        winner = r.order.front(); // the first to finish wins, even if it failed
      else
      {
        winner = first_success_of(r);
        if (!winner) // every input failed: each failure, in input order
          e = std::make_exception_ptr(aggregate_error(r.errors));
      }
    }
    // The other futures get a cancellation request (they belong to their
    // executor, which accounts for them; they are not awaited). Asio
    // operations the race started were cancelled and awaited by the group.
    cancel_unfinished(in, winner);
    if (winner && !e)
      e = r.errors[*winner];
    if constexpr (void_race_v<std::remove_reference_t<decltype(in)>>)
      g.complete(std::move(e));
    else
    {
      typename result::type v{};
      if (winner && !e)
        v = result::of(in, *winner);
      g.complete(std::move(e), std::move(v));
    }
  }
};

template <group_until Until>
struct initiate_race
{
  template <class Handler, class Inputs>
  void operator()(Handler&& handler, Inputs in) const
  {
    start_op_group(std::move(in), Until, std::nullopt, progress_option(), std::forward<Handler>(handler),
                   race_finish<Until>());
  }
};

template <class R>
auto nonempty_inputs(R&& fs, const char* call)
{
  auto v = inputs_of(std::forward<R>(fs));
  if (v.empty())
    throw std::invalid_argument(std::string(call) + ": futures must not be empty");
  return v;
}

template <class R>
concept race_range = (herd_future_range<std::remove_cvref_t<R>> && !map_like<std::remove_cvref_t<R>>) ||
                     operation_range<R>;

template <group_until Until>
struct race_variadic
{
  template <class Token, class Inputs, class Options>
  auto operator()(Token&& token, Inputs in, Options) const
  {
    return net::async_initiate<Token, race_signature_t<Inputs>>(initiate_race<Until>(), token, std::move(in));
  }
};

struct race_takes_no_options
{
};

template <group_until Until, class R, class Token>
auto race_range_impl(R&& fs, Token&& token, const char* call)
{
  auto in = nonempty_inputs(std::forward<R>(fs), call);
  return net::async_initiate<Token, race_signature_t<decltype(in)>>(initiate_race<Until>(), token, std::move(in));
}

} // namespace detail

/// The first input to finish wins, even if it failed; the others are cancelled.
/**
 * @param fs A non-empty range of `herd::future<T>`, or of Asio deferred
 * operations of one type (moved from the range and started by the race).
 * Or variadic: `race(a, b, c, [token])`, futures and Asio operations mixed.
 *
 * Built on `parallel_group` (ranged or variadic; herd/detail/op_group.hpp).
 *
 * @par Completion Signature
 * Ranged: @code void(std::exception_ptr, herd::wait_value_t<T>) @endcode
 * (`void(std::exception_ptr)` for `future<void>`; an operation's value as
 * in async_gather). Variadic: `void(std::exception_ptr, V)` when every
 * input gives the same V, else `void(std::exception_ptr, std::variant<V...>)`
 * holding the winner at its argument's index. The winner's value or its
 * failure, unchanged. Every other future gets a cancellation request
 * (future::cancel()); futures belong to their executor, which accounts for
 * them, so the race does not wait for them. Asio operations the race
 * started are cancelled and awaited before it completes, so none outlives
 * it.
 *
 * @par Per-Operation Cancellation
 * Terminal, partial and total: the race completes with `operation_aborted`
 * and every input gets a cancellation request.
 *
 * @throws std::invalid_argument if @c fs is empty.
 */
template <detail::race_range R, class CompletionToken = net::deferred_t>
auto race(R&& fs, CompletionToken&& token = CompletionToken())
{
  return detail::race_range_impl<detail::group_until::first>(std::forward<R>(fs),
                                                               std::forward<CompletionToken>(token), "herd::race");
}

/// The variadic race: herd futures and Asio deferred operations mixed.
template <class First, class... Rest>
  requires detail::is_wait_input_v<First>
auto race(First&& first, Rest&&... rest)
{
  return detail::call_variadic<detail::race_takes_no_options>(detail::race_variadic<detail::group_until::first>(),
                                                              std::forward<First>(first), std::forward<Rest>(rest)...);
}

/// The first input to succeed wins; the others are cancelled.
/**
 * Inputs and completion as race(). If every input fails, the exception is
 * a herd::aggregate_error holding every failure in input order.
 *
 * @throws std::invalid_argument if @c fs is empty.
 */
template <detail::race_range R, class CompletionToken = net::deferred_t>
auto first_success(R&& fs, CompletionToken&& token = CompletionToken())
{
  return detail::race_range_impl<detail::group_until::first_success>(
      std::forward<R>(fs), std::forward<CompletionToken>(token), "herd::first_success");
}

/// The variadic first_success: herd futures and Asio deferred operations mixed.
template <class First, class... Rest>
  requires detail::is_wait_input_v<First>
auto first_success(First&& first, Rest&&... rest)
{
  return detail::call_variadic<detail::race_takes_no_options>(
      detail::race_variadic<detail::group_until::first_success>(), std::forward<First>(first),
      std::forward<Rest>(rest)...);
}

namespace detail {

// hedge: attempt 1 now, another every `delay` while none has succeeded (at
// most max_attempts); the first success wins, the others are cancelled and
// awaited; the last failure is delivered if every attempt failed.
template <class MakeOp, class Handler, class Sig>
class hedge_op;

template <class MakeOp, class Handler, class... Args>
class hedge_op<MakeOp, Handler, void(Args...)>
    : public composed_op<hedge_op<MakeOp, Handler, void(Args...)>, Handler,
                         typename op_signature<void(Args...)>::values>
{
  using sig = op_signature<void(Args...)>;
  using base = composed_op<hedge_op, Handler, typename sig::values>;
  friend base;

public:
  hedge_op(Handler&& h, MakeOp make_op, duration delay, std::size_t max_attempts)
      : base(std::move(h)), make_op_(std::move(make_op)), delay_(delay), max_(max_attempts), timer_(this->strand_)
  {
  }

  void start()
  {
    this->start_here(
        [](hedge_op& self)
        {
          self.launch();
          self.arm();
        });
  }

private:
  void on_cancel(net::cancellation_type type)
  {
    cancelled_ = true;
    timer_.cancel();
    cancel_running(type);
  }

  void launch()
  {
    const std::size_t i = signals_.size();
    signals_.push_back(std::make_unique<net::cancellation_signal>());
    running_.push_back(true);
    ++live_;
    try
    {
      auto op = make_op_();
      operation_traits<decltype(op)>::start(
          op, this->strand_,
          net::bind_cancellation_slot(signals_[i]->slot(),
                                      this->on_strand([i](hedge_op& self, auto&&... a)
                                                      { self.on_result(i, typename sig::values(
                                                                              std::forward<decltype(a)>(a)...)); })));
    }
    catch (...)
    {
      // make_op itself threw: a failure of this attempt, and no further
      // attempt calls it again.
      max_ = signals_.size();
      on_result(i, sig::thrown());
    }
  }

  void arm()
  {
    if (signals_.size() >= max_ || winner_ || cancelled_)
      return;
    timer_.expires_after(delay_);
    timer_.async_wait(this->on_strand(
        [](hedge_op& self, boost::system::error_code ec)
        {
          if (ec || self.winner_ || self.cancelled_ || !self.pending())
            return;
          self.launch();
          self.arm();
        }));
  }

  // (An attempt's coroutine that has not started yet holds the request:
  // detail::spawn_gated.)
  void cancel_running(net::cancellation_type type)
  {
    for (std::size_t i = 0; i < signals_.size(); ++i)
      if (running_[i])
        signals_[i]->emit(type);
  }

  void on_result(std::size_t i, typename sig::values v)
  {
    running_[i] = false;
    --live_;
    if (!winner_ && !sig::failed(v))
    {
      winner_ = std::move(v);
      timer_.cancel();
      if (live_ > 0)
        cancel_running(net::cancellation_type::terminal);
    }
    else if (!winner_)
    {
      last_failure_ = std::move(v);
      // Nothing left running: the next attempt starts now, not at the tick.
      if (live_ == 0 && signals_.size() < max_ && !cancelled_)
      {
        timer_.cancel();
        launch();
        arm();
        return;
      }
    }
    if (live_ == 0 && (winner_ || signals_.size() >= max_ || cancelled_))
      this->finish(winner_ ? std::move(*winner_) : std::move(*last_failure_));
  }

  MakeOp make_op_;
  duration delay_;
  std::size_t max_;
  herd::timer timer_;
  std::vector<std::unique_ptr<net::cancellation_signal>> signals_;
  std::vector<bool> running_;
  std::size_t live_ = 0;
  std::optional<typename sig::values> winner_;
  std::optional<typename sig::values> last_failure_;
  bool cancelled_ = false;
};

struct initiate_hedge
{
  template <class Handler, class MakeOp>
  void operator()(Handler&& handler, MakeOp make_op, duration delay, std::size_t max_attempts) const
  {
    using sig_t = operation_signature_t<decltype(std::declval<MakeOp&>()())>;
    allocate_shared_op<hedge_op<MakeOp, std::decay_t<Handler>, sig_t>>(
        std::decay_t<Handler>(std::forward<Handler>(handler)), std::move(make_op), delay, max_attempts)
        ->start();
  }
};

} // namespace detail

/// Tail-latency hedging: starts another attempt every @c delay while none
/// has succeeded, up to @c max_attempts; the first success wins.
/**
 * @param make_op A callable returning a fresh Asio deferred operation or
 * `net::awaitable` per attempt, e.g. `[&] { return fetch(replica(), net::deferred); }`.
 * An attempt fails when its completion's leading `error_code` or
 * `exception_ptr` is set. A make_op that throws fails its attempt with that
 * exception (error_code signatures: a `boost::system::system_error`'s code,
 * otherwise `errc::invalid_argument`) and is not called again.
 * @param delay Time between attempt starts, on the clock of the handler's
 * executor (a manual clock drives it in tests).
 * @param max_attempts How many attempts at most, the first included.
 *
 * When every running attempt has failed and attempts remain, the next one
 * starts at once rather than at the next tick. The winner's completion is
 * delivered after the other attempts, which get a terminal cancellation,
 * have completed: none outlives the hedge. If every attempt fails, the last
 * failure is delivered unchanged.
 *
 * @par Executor
 * As async_retry: the first attempt starts inside this call, the rest on a
 * strand of the handler's associated executor (bind the handler, or use
 * net::use_awaitable).
 *
 * @par Completion Signature
 * The operation's own.
 *
 * @par Per-Operation Cancellation
 * Forwarded to every running attempt; no further attempt starts.
 *
 * @throws std::invalid_argument naming delay (not positive) or max_attempts (0).
 */
template <class MakeOp, class CompletionToken = net::deferred_t>
auto hedge(MakeOp make_op, duration delay, std::size_t max_attempts, CompletionToken&& token = CompletionToken())
{
  static_assert(detail::is_operation_v<decltype(std::declval<MakeOp&>()())>,
                "herd::hedge: make_op must return an Asio deferred operation or an awaitable");
  if (delay <= duration::zero())
    throw std::invalid_argument("herd::hedge: delay must be positive");
  if (max_attempts == 0)
    throw std::invalid_argument("herd::hedge: max_attempts must be at least 1");
  using sig_t = detail::operation_signature_t<decltype(std::declval<MakeOp&>()())>;
  return net::async_initiate<CompletionToken, sig_t>(detail::initiate_hedge(), token, std::move(make_op), delay,
                                                     max_attempts);
}

} // namespace herd

#endif // HERD_RACE_HPP
