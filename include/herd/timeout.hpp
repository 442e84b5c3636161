//
// herd/timeout.hpp
// ~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_TIMEOUT_HPP
#define HERD_TIMEOUT_HPP

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/detail/composed.hpp>
#include <herd/detail/op_traits.hpp>
#include <herd/detail/scope_op.hpp>
#include <herd/error.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <optional>
#include <stdexcept>

namespace herd
{
namespace detail
{

template <class Op, class Fallback, class Handler>
class fallback_op
    : public composed_op<fallback_op<Op, Fallback, Handler>, Handler, typename op_signature_of<Op>::values>
{
  using sig = op_signature_of<Op>;
  using base = composed_op<fallback_op, Handler, typename sig::values>;

public:
  fallback_op(Handler&& h, Op op, Fallback fb) : base(std::move(h)), op_(std::move(op)), fallback_(std::move(fb)) {}

  void start()
  {
    this->start_here(
        [](fallback_op& self)
        {
          operation_traits<Op>::start(self.op_, self.strand_,
                                      self.on_strand_cancellable([](fallback_op& s, auto&&... a)
                                                                 { s.on_first(std::forward<decltype(a)>(a)...); }));
        });
  }

  void on_cancel(net::cancellation_type type)
  {
    cancelled_ = true;
    this->signal_.emit(type);
  }

private:
  template <class... A>
  void on_first(A&&... a)
  {
    typename sig::values v(std::forward<A>(a)...);
    if (!sig::failed(v) || cancelled_)
    {
      this->finish(std::move(v));
      return;
    }
    if constexpr (is_operation_v<Fallback>)
    {
      static_assert(std::is_same_v<operation_signature_t<Fallback>, operation_signature_t<Op>>,
                    "herd::with_fallback: the fallback operation must have the operation's completion signature");
      operation_traits<Fallback>::start(
          fallback_, this->strand_,
          this->on_strand_cancellable([](fallback_op& s, auto&&... b)
                                      { s.finish(typename sig::values(std::forward<decltype(b)>(b)...)); }));
    }
    else
    {
      // A value replaces the failed result: no error, then the value.
      typename sig::values r{};
      std::get<1>(r) = std::move(fallback_);
      this->finish(std::move(r));
    }
  }

  Op op_;
  Fallback fallback_;
  bool cancelled_ = false;
};

} // namespace detail

/// Runs @c op with a deadline: past @c d it is cancelled and fails with a timeout.
/**
 * @param d The time allowed, on the clock of the handler's associated
 * executor.
 * @param op An Asio deferred operation (`sock.async_read_some(buf,
 * net::deferred)`) or a `net::awaitable<T>` (T default-constructible, a
 * Boost 1.81 co_spawn requirement).
 *
 * @par Executor
 * The operation starts inside this call, on the caller's thread; later
 * steps and the timers run on a strand of the handler's associated executor
 * and read its context's clock. An inner operation that completes inside
 * its own initiation is handled as a later step (no deadlock, no
 * recursion). The operation keeps the handler's executor busy until the
 * handler has run; the strand it hands to user code (`this_coro::executor`
 * of an awaitable) tracks no work, so an I/O object made from it does not
 * keep the context alive. A handler with no associated executor gets the
 * system executor (as with parallel_group), which neither runs on nor keeps
 * alive the I/O objects' io_context: bind the handler to that executor
 * (net::bind_executor) or use net::use_awaitable. The handler is always
 * posted, and the state is allocated with its associated allocator.
 *
 * @par Completion Signature
 * The operation's own. When the deadline passes, @c op gets a terminal
 * cancellation request and is awaited; if it then fails (as a cancelled
 * operation does), the result is `herd::errc::timeout` (error_code
 * signatures) or `herd::timeout_error` (exception_ptr signatures). If it
 * succeeded anyway, the success is delivered.
 *
 * @par Per-Operation Cancellation
 * Terminal, partial and total: forwarded to @c op; the result is op's. The
 * deadline stays armed until @c op completes: an operation that ignores or
 * loses the caller's request is still cancelled at the deadline (and then
 * fails with the timeout).
 */
template <class Op, class CompletionToken = net::deferred_t>
auto with_timeout(duration d, Op&& op, CompletionToken&& token = CompletionToken())
{
  static_assert(detail::is_operation_v<Op>,
                "herd::with_timeout: op must be an Asio deferred operation or an awaitable");
  static_assert(detail::op_signature_of<Op>::can_fail,
                "herd::with_timeout: op's completion must lead with an error_code or exception_ptr");
  if (d < duration::zero())
    throw std::invalid_argument("herd::with_timeout: d must not be negative");
  return detail::initiate_scope<detail::on_deadline::fail>(d, std::forward<Op>(op), nullptr,
                                                           std::forward<CompletionToken>(token));
}

/// Runs @c op; if it fails, completes with @c fallback instead.
/**
 * @param fallback Either an operation with @c op's completion signature,
 * started only if @c op failed, or a value: the completion is then
 * `(no error, fallback)`.
 *
 * @par Executor
 * The operation starts inside this call, on the caller's thread; later
 * steps and the timers run on a strand of the handler's associated executor
 * and read its context's clock. An inner operation that completes inside
 * its own initiation is handled as a later step (no deadlock, no
 * recursion). The operation keeps the handler's executor busy until the
 * handler has run; the strand it hands to user code (`this_coro::executor`
 * of an awaitable) tracks no work, so an I/O object made from it does not
 * keep the context alive. A handler with no associated executor gets the
 * system executor (as with parallel_group), which neither runs on nor keeps
 * alive the I/O objects' io_context: bind the handler to that executor
 * (net::bind_executor) or use net::use_awaitable. The handler is always
 * posted, and the state is allocated with its associated allocator.
 *
 * @par Completion Signature
 * The operation's own.
 *
 * @par Per-Operation Cancellation
 * Forwarded to whichever operation runs; a cancelled @c op is not followed
 * by the fallback.
 */
template <class Op, class Fallback, class CompletionToken = net::deferred_t>
auto with_fallback(Op&& op, Fallback&& fallback, CompletionToken&& token = CompletionToken())
{
  static_assert(detail::is_operation_v<Op>,
                "herd::with_fallback: op must be an Asio deferred operation or an awaitable");
  static_assert(detail::op_signature_of<Op>::can_fail,
                "herd::with_fallback: op's completion must lead with an error_code or exception_ptr");
  return net::async_initiate<CompletionToken, detail::operation_signature_t<Op>>(
      [](auto handler, std::decay_t<Op> op, std::decay_t<Fallback> fb)
      {
        using op_type = detail::fallback_op<std::decay_t<Op>, std::decay_t<Fallback>, decltype(handler)>;
        detail::allocate_shared_op<op_type>(std::move(handler), std::move(op), std::move(fb))->start();
      },
      token, std::forward<Op>(op), std::forward<Fallback>(fallback));
}

} // namespace herd

#endif // HERD_TIMEOUT_HPP
