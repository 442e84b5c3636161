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
#include <herd/detail/async_group.hpp>
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
      // make_op itself threw: a failure of this attempt.
      on_result(i, sig::failure(boost::system::errc::make_error_code(boost::system::errc::invalid_argument),
                                std::current_exception()));
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
          if (ec || self.winner_ || self.cancelled_ || self.finished_)
            return;
          self.launch();
          self.arm();
        }));
  }

  // Emitted from a posted step: an attempt's coroutine has started by then
  // (Boost 1.81's co_spawn must not see a cancellation before it starts).
  void cancel_running(net::cancellation_type type)
  {
    net::post(this->strand_,
              [self = this->shared_from_this(), type]
              {
                std::lock_guard lk(self->mu_);
                for (std::size_t i = 0; i < self->signals_.size(); ++i)
                  if (self->running_[i])
                    self->signals_[i]->emit(type);
              });
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
    std::make_shared<hedge_op<MakeOp, std::decay_t<Handler>, sig_t>>(
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
 * `exception_ptr` is set.
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
