//
// herd/detail/asio_workarounds.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_ASIO_WORKAROUNDS_HPP
#define HERD_DETAIL_ASIO_WORKAROUNDS_HPP

// The one place for herd's workarounds of Boost 1.81 Asio defects, each with
// its upstream reference and a regression test (test/unit/async_core.cpp,
// suite async_core, and test/unit/stream.cpp, suite stream_channel_defects):
//
// 1. `co_await op` of a deferred operation whose signature is
//    `void(std::exception_ptr, T...)` does not compile: awaitable_async_op_handler
//    tests `*result` (a struct) instead of `*result.ex_` (asio #1190, #1172,
//    #1205: `co_await co_spawn(ex, awaitable<int>, deferred)` fails the same way).
//    This is what makes herd's default token, net::deferred, work for herd's
//    exception_ptr operations (`co_await f.async_wait()`, `co_await
//    ex.async_submit(f)`, `co_await herd::async_gather(fs)`) and also `co_await
//    co_spawn(ex, aw, net::deferred)`. Below: the same handler with the test
//    corrected, for the executor every herd coroutine uses (any_io_executor);
//    only Boost 1.81 gets it.
// 2. A coroutine cancelled before its first resumption: Boost 1.81's co_spawn
//    then throws operation_aborted out of its entry point, into run() (so
//    std::terminate on a pool), and never completes the operation; the same
//    happens after a cancelled body that finished without a context switch.
//    spawn_gated() below is the one way herd starts a coroutine: every
//    awaitable herd is given as an operation (with_timeout, move_on_after,
//    cancel_scope, retry, breaker, hedge, fallback), executor tasks
//    (detail/task.hpp), task_group children and stream producers
//    (detail/stream_core.hpp). A cancellation that arrives before the body
//    runs is held, never emitted into co_spawn; it becomes operation_aborted
//    thrown by the wrapper (early_cancel::abort), or, for the three whose
//    bodies see their own stop request (early_cancel::to_body), the body runs
//    and reports the cancellation itself. After the body, the wrapper turns
//    throw_if_cancelled off, so co_spawn's entry point cannot throw.
// 3. Channels (asio #1236, #1241, #1318): worked around in detail/stream_core.hpp.
//    (5., `co_await` of an lvalue future, is below the first.)
// 4. parallel_group is not thread-safe unless its operations run on one strand
//    (asio #1348): herd starts them on one strand (detail/op_group.hpp,
//    detail/composed.hpp).

#include <herd/config.hpp>

#include <boost/version.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace herd
{
template <class T>
class future;
} // namespace herd

#if BOOST_VERSION == 108100

namespace boost
{
namespace asio
{
namespace detail
{

template <typename R, typename T>
class awaitable_async_op_handler<R(std::exception_ptr, T), any_io_executor> : public awaitable_thread<any_io_executor>
{
public:
  struct result_type
  {
    std::exception_ptr* ex_;
    T* value_;
  };

  awaitable_async_op_handler(awaitable_thread<any_io_executor>* h, result_type& result)
      : awaitable_thread<any_io_executor>(std::move(*h)), result_(result)
  {
  }

  void operator()(std::exception_ptr ex, T value)
  {
    result_.ex_ = &ex;
    result_.value_ = &value;
    this->entry_point()->top_of_stack_->attach_thread(this);
    this->entry_point()->top_of_stack_->clear_cancellation_slot();
    this->pump();
  }

  static T resume(result_type& result)
  {
    if (*result.ex_)
      std::rethrow_exception(std::exchange(*result.ex_, nullptr));
    return std::move(*result.value_);
  }

private:
  result_type& result_;
};

// Two or more values (one is above; none is Asio's own, correct, handler).
template <typename R, typename T0, typename T1, typename... Ts>
class awaitable_async_op_handler<R(std::exception_ptr, T0, T1, Ts...), any_io_executor>
    : public awaitable_thread<any_io_executor>
{
public:
  struct result_type
  {
    std::exception_ptr* ex_;
    std::tuple<T0, T1, Ts...>* value_;
  };

  awaitable_async_op_handler(awaitable_thread<any_io_executor>* h, result_type& result)
      : awaitable_thread<any_io_executor>(std::move(*h)), result_(result)
  {
  }

  template <typename... Args>
  void operator()(std::exception_ptr ex, Args&&... args)
  {
    result_.ex_ = &ex;
    std::tuple<T0, T1, Ts...> value(std::forward<Args>(args)...);
    result_.value_ = &value;
    this->entry_point()->top_of_stack_->attach_thread(this);
    this->entry_point()->top_of_stack_->clear_cancellation_slot();
    this->pump();
  }

  static std::tuple<T0, T1, Ts...> resume(result_type& result)
  {
    if (*result.ex_)
      std::rethrow_exception(std::exchange(*result.ex_, nullptr));
    return std::move(*result.value_);
  }

private:
  result_type& result_;
};

// 5. `co_await f` for an lvalue herd::future: Boost 1.81's await_transform
//    decays the operation's type and then binds the lvalue to an rvalue
//    reference (awaitable_async_op(Op&&, ...)), so an lvalue operation does
//    not compile. For herd futures only: an awaiter that holds a copy of the
//    future (a shared handle) and starts its wait on suspension.
template <typename Signature, typename T, typename Executor>
class awaitable_async_op<Signature, herd::future<T>, Executor>
{
public:
  typedef awaitable_async_op_handler<Signature, Executor> handler_type;

  awaitable_async_op(const herd::future<T>& f, awaitable_frame_base<Executor>* frame)
      : f_(f), frame_(frame), result_()
  {
  }

  bool await_ready() const noexcept { return false; }

  void await_suspend(coroutine_handle<void>)
  {
    frame_->after_suspend(
        [](void* arg)
        {
          auto* self = static_cast<awaitable_async_op*>(arg);
          self->f_(handler_type(self->frame_->detach_thread(), self->result_));
        },
        this);
  }

  auto await_resume() { return handler_type::resume(result_); }

private:
  herd::future<T> f_;
  awaitable_frame_base<Executor>* frame_;
  typename handler_type::result_type result_;
};

} // namespace detail
} // namespace asio
} // namespace boost

#endif // BOOST_VERSION == 108100

namespace herd
{
namespace detail
{

// What a cancellation that came before the body started turns into (2. above).
enum class early_cancel
{
  abort,  // the wrapper throws operation_aborted; the body never runs
  to_body // the body runs: it sees the stop request through its own state
};

// Holds a cancellation for a co_spawned body until the body runs (2. above).
struct spawn_gate
{
  std::mutex mutex;
  bool started = false;
  bool pending = false;
  net::cancellation_signal inner;

  // Called on the emitting thread; the emission into co_spawn is thread-safe
  // (co_spawn's slot handler dispatches to the coroutine's executor).
  void on_cancel(net::cancellation_type type)
  {
    {
      std::lock_guard lock(mutex);
      if (!started)
      {
        pending = true;
        return;
      }
    }
    inner.emit(type);
  }
};

template <class T>
net::awaitable<T> gated_body(std::shared_ptr<spawn_gate> gate, net::awaitable<T> body, early_cancel early)
{
  bool cancelled = false;
  {
    std::lock_guard lock(gate->mutex);
    gate->started = true;
    cancelled = gate->pending;
  }
  if (cancelled && early == early_cancel::abort)
    throw boost::system::system_error(net::error::operation_aborted, "herd: cancelled before it started");
  std::exception_ptr e;
  std::optional<std::conditional_t<std::is_void_v<T>, int, T>> v;
  try
  {
    if constexpr (std::is_void_v<T>)
      co_await std::move(body);
    else
      v.emplace(co_await std::move(body));
  }
  catch (...)
  {
    e = std::current_exception();
  }
  // After a cancelled body, co_spawn's entry point must not throw.
  co_await net::this_coro::throw_if_cancelled(false);
  if (e)
    std::rethrow_exception(e);
  if constexpr (!std::is_void_v<T>)
    co_return std::move(*v);
}

// The handler without its bound slot: Boost 1.81 cannot bind a new slot to
// a cancellation_slot_binder (its converting constructor builds the wrong
// member), so the binder is unwrapped first.
template <class H>
H&& slot_unbound(H&& h)
{
  return std::forward<H>(h);
}

template <class T, class S>
T slot_unbound(net::cancellation_slot_binder<T, S>&& h)
{
  return std::move(h.get());
}

// spawn_gated's completion handler: the caller's handler, which keeps the
// gate alive until it has run. The gate owns the signal whose slot co_spawn
// allocated the coroutine's cancellation state in, and the coroutine uses
// that state each time it resumes, up to its completion; the caller's signal
// (which owns the gate only through the filter assigned to it) may be
// destroyed meanwhile. (A stream producer's signal lived in a control block
// that the stream's last owner released on another thread: the producer's
// coroutine, resumed after its body, then read freed memory.)
template <class Handler>
struct gate_holder
{
  template <class... Args>
  void operator()(Args&&... args)
  {
    std::move(handler)(std::forward<Args>(args)...);
  }
  Handler handler;
  std::shared_ptr<spawn_gate> gate;
};

// co_spawn(ex, body, handler), with the handler's cancellation emitted to
// the body only once it has started. A handler without a connected slot
// cannot be cancelled: its body is spawned as it is. A cancellation that
// came first is handled as `early` says. The handler's slot must be emitted
// as Asio requires (one emitter at a time); herd's own emitters post to the
// coroutine's strand.
template <class T, class Executor, class Handler>
void spawn_gated(const Executor& ex, net::awaitable<T, net::any_io_executor> body, Handler&& handler,
                 early_cancel early = early_cancel::abort)
{
  std::decay_t<Handler> h(std::forward<Handler>(handler));
  auto slot = net::get_associated_cancellation_slot(h);
  if (!slot.is_connected())
  {
    net::co_spawn(ex, std::move(body), std::move(h));
    return;
  }
  auto gate = std::make_shared<spawn_gate>();
  slot.assign([gate](net::cancellation_type type) { gate->on_cancel(type); });
  auto inner = gate->inner.slot();
  using held = gate_holder<std::decay_t<decltype(slot_unbound(std::move(h)))>>;
  held keeper{slot_unbound(std::move(h)), gate};
  net::co_spawn(ex, gated_body<T>(std::move(gate), std::move(body), early),
                net::bind_cancellation_slot(inner, std::move(keeper)));
}

} // namespace detail
} // namespace herd

namespace boost
{
namespace asio
{

// gate_holder is its handler for every associated characteristic.
template <template <typename, typename> class Associator, typename Handler, typename DefaultCandidate>
struct associator<Associator, herd::detail::gate_holder<Handler>, DefaultCandidate>
{
  using type = typename Associator<Handler, DefaultCandidate>::type;

  static type get(const herd::detail::gate_holder<Handler>& h) noexcept
  {
    return Associator<Handler, DefaultCandidate>::get(h.handler);
  }

  static auto get(const herd::detail::gate_holder<Handler>& h, const DefaultCandidate& c) noexcept
      -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c))
  {
    return Associator<Handler, DefaultCandidate>::get(h.handler, c);
  }
};

} // namespace asio
} // namespace boost

#endif // HERD_DETAIL_ASIO_WORKAROUNDS_HPP
