//
// herd/stream/sinks.hpp
// ~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_STREAM_SINKS_HPP
#define HERD_STREAM_SINKS_HPP

#include <herd/config.hpp>
#include <herd/detail/asio_workarounds.hpp>
#include <herd/detail/async_base.hpp>
#include <herd/detail/stream_core.hpp>
#include <herd/error.hpp>
#include <herd/stream/core.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

namespace herd
{
namespace detail
{

// Pulls a stream to its end, feeding each value to Sink::accept (on the
// thread that delivered it, with no herd lock held), then completes with
// Sink::take(). Cancelling it stops the stream and completes with
// cancelled_error; a cancellation requested while accept runs (the sink's
// body cancelling its own operation, say) takes effect when accept returns.
template <class T, class Handler, class Sink>
class drain_op : public async_base<Handler>, public std::enable_shared_from_this<drain_op<T, Handler, Sink>>
{
  enum : int
  {
    idle,
    accepting,
    cancel_pending,
    done
  };

public:
  drain_op(Handler&& h, std::shared_ptr<stream_node<T>> node, Sink&& sink)
      : async_base<Handler>(std::move(h), node->get_executor()), node_(std::move(node)), sink_(std::move(sink))
  {
  }

  void start()
  {
    this->install_cancellation([self = this->shared_from_this()](net::cancellation_type) { self->on_cancel(); });
    pull_next();
  }

private:
  void pull_next()
  {
    node_->pull([self = this->shared_from_this()](stream_item<T> item) mutable { self->on_item(std::move(item)); });
  }

  void on_item(stream_item<T> item)
  {
    // The item, then whatever is ready now without a round trip.
    while (item.index() == 2)
    {
      int expected = idle;
      if (!state_.compare_exchange_strong(expected, accepting))
        return; // cancelled meanwhile: finished already
      std::exception_ptr failure;
      try
      {
        sink_.accept(std::get<2>(std::move(item)));
      }
      catch (...)
      {
        failure = std::current_exception();
      }
      expected = accepting;
      if (!state_.compare_exchange_strong(expected, failure ? done : idle))
      {
        // A cancellation came while accept ran.
        state_.store(done);
        node_->stop();
        finish(cancelled());
        return;
      }
      if (failure)
      {
        node_->stop();
        finish(failure);
        return;
      }
      if (!node_->try_pull(item))
      {
        pull_next();
        return;
      }
    }
    int expected = idle;
    if (state_.compare_exchange_strong(expected, done))
      finish(item.index() == 1 ? std::get<1>(std::move(item)) : std::exception_ptr());
  }

  void on_cancel()
  {
    int expected = idle;
    if (state_.compare_exchange_strong(expected, done))
    {
      node_->stop();
      finish(cancelled());
      return;
    }
    if (expected == accepting)
      state_.compare_exchange_strong(expected, cancel_pending); // the accepting thread finishes
  }

  static std::exception_ptr cancelled()
  {
    return std::make_exception_ptr(cancelled_error("herd::streams: the sink was cancelled; the stream is stopped"));
  }

  // Once done_ is set no accept runs: the sink is ours. The handler is posted;
  // the posted completion keeps the op (and so the stream node) alive until
  // it runs, since finish may be called from inside the node's own pull
  // callback, which must not destroy the node under it. It releases them
  // before the handler runs (Asio's rule: an operation's state is gone by
  // its upcall), so a handler that lets its caller destroy the io_context
  // (use_future, on the system executor) cannot race the node's teardown.
  void finish(std::exception_ptr e)
  {
    auto self = this->shared_from_this();
    if constexpr (std::is_void_v<decltype(sink_.take())>)
      this->complete_by(
          [self, e = std::move(e)](Handler& h) mutable
          {
            self.reset();
            std::move(h)(std::move(e));
          });
    else
      this->complete_by(
          [self, e = std::move(e), r = sink_.take()](Handler& h) mutable
          {
            self.reset();
            std::move(h)(std::move(e), std::move(r));
          });
  }

  std::shared_ptr<stream_node<T>> node_;
  Sink sink_;
  std::atomic<int> state_{idle};
};

template <class T, class Sig, class Sink, class Token>
auto async_drain(std::shared_ptr<stream_node<T>> node, Sink sink, Token&& token)
{
  // The stream's executor is the initiation's (experimental::use_promise
  // makes its handler from it) and the handler's default.
  auto ex = node->get_executor();
  return net::async_initiate<Token, Sig>(
      initiation_on(std::move(ex),
                    [](auto handler, std::shared_ptr<stream_node<T>> node, Sink sink)
                    {
                      using H = decltype(handler);
                      allocate_shared_op<drain_op<T, H, Sink>>(std::move(handler), std::move(node), std::move(sink))
                          ->start();
                    }),
      token, std::move(node), std::move(sink));
}

// The coroutine form of streams::for_each, as one operation on the base: a
// coroutine on a strand of the stream's executor awaits f(item) for each
// item. The op keeps f alive while it is awaited (a coroutine lambda's
// captures stay valid). Cancelling it cancels what the coroutine awaits and
// stops the stream; cancelled before the coroutine started, it completes
// with operation_aborted (spawn_gated, detail/asio_workarounds.hpp, 2.).
template <class T, class F, class Handler>
class awaiting_for_each_op : public async_base<Handler>,
                             public std::enable_shared_from_this<awaiting_for_each_op<T, F, Handler>>
{
public:
  awaiting_for_each_op(Handler&& h, const net::any_io_executor& ex, F f)
      : async_base<Handler>(std::move(h), ex), strand_(net::make_strand(ex)), f_(std::move(f))
  {
  }

  void start(stream<T> s)
  {
    auto self = this->shared_from_this();
    std::weak_ptr<awaiting_for_each_op> weak = self;
    this->install_cancellation(
        [weak, strand = strand_](net::cancellation_type)
        {
          net::post(strand,
                    [weak]
                    {
                      if (auto op = weak.lock())
                        if (op->pending())
                          op->signal_.emit(net::cancellation_type::terminal);
                    });
        });
    spawn_gated(strand_, run(self, std::move(s)),
                net::bind_cancellation_slot(signal_.slot(), [self](std::exception_ptr e) { self->complete(e); }));
  }

private:
  static net::awaitable<void> run(std::shared_ptr<awaiting_for_each_op> self, stream<T> s)
  {
    while (auto v = co_await s.next())
      co_await self->f_(std::move(*v));
  }

  net::strand<net::any_io_executor> strand_;
  F f_;
  net::cancellation_signal signal_;
};

template <class T>
struct vector_sink
{
  std::vector<T> v;
  void accept(T&& x) { v.push_back(std::move(x)); }
  std::vector<T> take() { return std::move(v); }
};

template <class Acc, class F>
struct reduce_sink
{
  Acc acc;
  F f;
  template <class T>
  void accept(T&& x)
  {
    acc = f(std::move(acc), std::move(x));
  }
  Acc take() { return std::move(acc); }
};

template <class F>
struct for_each_sink
{
  F f;
  template <class T>
  void accept(T&& x)
  {
    f(std::move(x));
  }
  void take() {}
};

} // namespace detail

namespace streams
{

/// Collects every item; completion signature
/// `void(std::exception_ptr, std::vector<T>)` (on failure: the items so far).
/**
 * @par Per-Operation Cancellation
 * Terminal, partial and total cancellation stop the stream: the handler
 * completes with `herd::cancelled_error` and the items so far.
 */
template <class T, class CompletionToken = net::default_completion_token_t<net::any_io_executor>>
auto to_vector(stream<T> s, CompletionToken&& token = CompletionToken())
{
  auto node = herd::detail::release_node(std::move(s), "herd::streams::to_vector");
  return herd::detail::async_drain<T, void(std::exception_ptr, std::vector<T>)>(
      std::move(node), herd::detail::vector_sink<T>{}, std::forward<CompletionToken>(token));
}

/// Calls `f(T)` on every item; completion signature `void(std::exception_ptr)`.
/**
 * A plain f runs on the stream's executor as items arrive; an f returning
 * `net::awaitable<void>` is awaited before the next item is pulled, on a
 * strand of the stream's executor, and the operation keeps f alive until it
 * completes (a coroutine lambda may capture). An exception from f stops the
 * stream and completes the operation with it.
 *
 * @par Per-Operation Cancellation
 * Terminal, partial and total cancellation stop the stream. A plain f: the
 * handler completes with `herd::cancelled_error` (a request made while f
 * runs takes effect when it returns). An awaitable f: what the coroutine
 * awaits is cancelled (terminal), and the handler completes with its
 * exception (a `boost::system::system_error` holding
 * `net::error::operation_aborted`, or the exception f lets out).
 */
template <class T, class F, class CompletionToken = net::default_completion_token_t<net::any_io_executor>>
auto for_each(stream<T> s, F f, CompletionToken&& token = CompletionToken())
{
  auto node = herd::detail::release_node(std::move(s), "herd::streams::for_each");
  if constexpr (std::is_same_v<std::invoke_result_t<F&, T&&>, net::awaitable<void>>)
  {
    auto ex = node->get_executor();
    return net::async_initiate<CompletionToken, void(std::exception_ptr)>(
        herd::detail::initiation_on(ex,
                                    [](auto handler, net::any_io_executor ex, stream<T> s, F f)
                                    {
                                      using op = herd::detail::awaiting_for_each_op<T, F, decltype(handler)>;
                                      herd::detail::allocate_shared_op<op>(std::move(handler), ex, std::move(f))
                                          ->start(std::move(s));
                                    }),
        token, ex, stream<T>(std::move(node)), std::move(f));
  }
  else
  {
    return herd::detail::async_drain<T, void(std::exception_ptr)>(
        std::move(node), herd::detail::for_each_sink<F>{std::move(f)}, std::forward<CompletionToken>(token));
  }
}

/// Folds the stream: `acc = f(std::move(acc), item)` from @c init; completion
/// signature `void(std::exception_ptr, Acc)`.
/**
 * @par Per-Operation Cancellation
 * Terminal, partial and total cancellation stop the stream: the handler
 * completes with `herd::cancelled_error` (a request made while f runs takes effect when it returns).
 */
template <class T, class Acc, class F, class CompletionToken = net::default_completion_token_t<net::any_io_executor>>
auto reduce(stream<T> s, Acc init, F f, CompletionToken&& token = CompletionToken())
{
  auto node = herd::detail::release_node(std::move(s), "herd::streams::reduce");
  return herd::detail::async_drain<T, void(std::exception_ptr, Acc)>(
      std::move(node), herd::detail::reduce_sink<Acc, F>{std::move(init), std::move(f)},
      std::forward<CompletionToken>(token));
}

} // namespace streams
} // namespace herd

#endif // HERD_STREAM_SINKS_HPP
