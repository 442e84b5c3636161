//
// herd/worker.hpp
// ~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_WORKER_HPP
#define HERD_WORKER_HPP

#include <herd/config.hpp>
#include <herd/detail/worker_core.hpp>
#include <herd/detail/worker_registry.hpp>
#include <herd/error.hpp>
#include <herd/future.hpp>
#include <herd/worker_errors.hpp>
#include <herd/worker_mode.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace herd
{

/// An object of type T whose method calls run one at a time in its own
/// context and return herd futures (concurry's worker, an actor).
/**
 * Create one with herd::make_worker. `w.call(&T::method, args...)` queues
 * a call and returns `herd::future<R>`; methods may be plain (returning R)
 * or coroutines (returning `net::awaitable<R>`, awaited to completion before
 * the next call starts, so calls never interleave). Calls on one worker run
 * in submission order. The arguments are copied (decayed) into the call;
 * the object is constructed, used and destroyed in the worker's context.
 *
 * A method's exception fails that call's future unchanged; the worker goes
 * on. If T's constructor throws (strand and thread modes), every call fails
 * with that exception.
 *
 * Cancelling a call's future before the call starts skips it; once started
 * it runs to the end (its result is then ignored).
 *
 * `stop()` stops accepting calls (later calls throw herd::shutdown_error);
 * the calls already queued run (`stop(false)`, the default: drain) or are
 * cancelled (`stop(true)`: their futures end cancelled). The destructor
 * calls stop(false). A thread-mode worker's stop() joins its thread after
 * the last queued call, so it blocks for them (called from a call of the
 * same worker, it detaches the thread instead). A strand-mode worker's
 * stop() does not block: it has no thread of its own to join, and the
 * executor it runs on may not be running yet (a worker destroyed before
 * its `io_context::run()` starts would wait forever). Its queued calls, and
 * then the object's destruction, run later on the strand; the calls'
 * futures tell when, and whatever T's methods use must outlive them. T is
 * constructed and destroyed under no herd lock.
 *
 * worker_mode::process keeps the object in a forked child process. Its
 * type must register the callable methods with HERD_WORKER_METHODS, and
 * calls are written `w.call<&T::method>(args...)` (for a registered type
 * in every mode), so that calling an unregistered method is a compile-time
 * error: a member pointer passed as a run-time argument could only be
 * checked at run time. Arguments are converted to the method's parameter
 * types and, like the result, serialized with Boost.Serialization (each
 * must be default-constructible); coroutine methods are not allowed there.
 * A method's exception arrives as herd::worker_remote_error (its message);
 * the child's death during a call as herd::worker_crash_error naming the
 * signal; the next call forks a new child that constructs a new T from
 * copies of the constructor arguments. The first child is forked by
 * make_worker itself, before the worker's thread starts (a child inherits
 * every lock as it was at the fork; forking while no thread of the worker
 * runs keeps its own locks out of that). Note for AddressSanitizer builds:
 * GCC 12's ASan allocator is not fork-safe (unlike glibc's malloc), so a
 * fork while another thread allocates can hang the child. Calls run on a
 * thread the worker owns, one round trip at a time; stop() ends and reaps the child. Like
 * the other modes, stop() waits for the call in progress: a method that
 * never returns holds it until its child is killed (stop(true) does not
 * kill the child; it cancels the queued calls only).
 *
 * Thread safety: call(), load() and stop() may be called from any thread.
 * A worker is movable, not copyable.
 */
template <class T>
class worker
{
public:
  worker(worker&&) noexcept = default;
  worker& operator=(worker&& other) noexcept
  {
    if (this != &other)
    {
      stop(false);
      core_ = std::move(other.core_);
      thread_ = std::move(other.thread_);
      child_ = std::move(other.child_);
    }
    return *this;
  }
  ~worker() { stop(false); }

  /// Queues `(object.*m)(args...)`; returns its future.
  /**
   * In sync mode the call runs here (a coroutine method on a private
   * io_context in this thread) and the future is ready on return.
   * @throws herd::shutdown_error after stop().
   */
  template <class M, class... A>
  auto call(M T::*m, A&&... args)
  {
    static_assert(std::is_member_function_pointer_v<M T::*>, "herd::worker::call: m must be a method of T");
    static_assert(!detail::registered_worker<T>,
                  "herd::worker::call: T registers its methods with HERD_WORKER_METHODS: call them as "
                  "w.call<&T::method>(args...), which checks the registration at compile time");
    return call_here(m, std::forward<A>(args)...);
  }

  /// Queues a call of method M: `w.call<&T::fetch>(42)`.
  /**
   * The form for types registered with HERD_WORKER_METHODS (required for
   * worker_mode::process): a method not in the list is a compile-time
   * error. In a process-mode worker the arguments are converted to the
   * method's parameter types, serialized (Boost.Serialization), run in the
   * child, and the result is serialized back; a method's exception arrives
   * as herd::worker_remote_error with its message, and the child's death
   * (a signal, or an exit) as herd::worker_crash_error naming the signal,
   * after which the next call starts a new child (a new T).
   */
  template <auto M, class... A>
  auto call(A&&... args)
  {
    if constexpr (detail::registered_worker<T>)
    {
      static_assert(detail::method_index<T, M>() >= 0,
                    "herd::worker::call: the method is not registered with HERD_WORKER_METHODS(T, ...)");
      if (core_ && core_->mode() == worker_mode::process)
        return call_remote<M>(std::forward<A>(args)...);
    }
    return call_here(M, std::forward<A>(args)...);
  }

private:
  template <auto M, class... A>
  auto call_remote(A&&... args)
  {
    using traits = detail::method_traits<decltype(M)>;
    using R = std::decay_t<typename traits::result>;
    static_assert(!detail::awaitable_result<R>::value,
                  "herd::worker: a process-mode method cannot return an awaitable");
    static_assert(detail::process_support_included<T>,
                  "herd::worker: a type that registers its methods needs #include <herd/worker_process.hpp>");
    auto p = std::make_shared<promise<R>>();
    future<R> f = p->get_future();
    typename traits::args converted(std::forward<A>(args)...);
    std::string bytes = detail::save_tuple(converted);
    typename detail::worker_core<T>::job j;
    j.cancel = [f]() mutable { f.cancel(); };
    j.run_remote = [p, child = child_, bytes = std::move(bytes)]
    {
      if (p->cancelled())
        return;
      try
      {
        std::string reply = child->request(static_cast<std::uint32_t>(detail::method_index<T, M>()), bytes);
        if constexpr (std::is_void_v<R>)
          p->set_value();
        else
          p->set_value(std::get<0>(detail::load_tuple<std::tuple<R>>(reply)));
      }
      catch (...)
      {
        p->set_exception(std::current_exception());
      }
    };
    core_->enqueue(std::move(j), "herd::worker::call");
    return f;
  }

  template <class M, class... A>
  auto call_here(M T::*m, A&&... args)
  {
    using raw = std::invoke_result_t<M T::*, T&, std::decay_t<A>&...>;
    using traits = detail::awaitable_result<raw>;
    using R = typename traits::type;
    if (!core_)
      throw shutdown_error("herd::worker::call: the worker was moved from");
    auto p = std::make_shared<promise<R>>();
    future<R> f = p->get_future();
    auto bound = std::make_shared<std::tuple<std::decay_t<A>...>>(std::forward<A>(args)...);
    std::weak_ptr<detail::worker_core<T>> weak = core_;
    typename detail::worker_core<T>::job j;
    j.cancel = [f]() mutable { f.cancel(); };
    if constexpr (traits::value)
    {
      j.run = [p, weak](T*) { fail(*p, weak); };
      j.run_co = [p, m, bound](T& obj) -> net::awaitable<void>
      {
        if (p->cancelled())
          co_return;
        try
        {
          auto aw = std::apply([&](auto&... a) { return (obj.*m)(a...); }, *bound);
          if constexpr (std::is_void_v<R>)
          {
            co_await std::move(aw);
            p->set_value();
          }
          else
          {
            R r = co_await std::move(aw);
            p->set_value(std::move(r));
          }
        }
        catch (...)
        {
          p->set_exception(std::current_exception());
        }
      };
    }
    else
    {
      j.run = [p, m, bound, weak](T* obj)
      {
        if (!obj)
        {
          fail(*p, weak);
          return;
        }
        if (p->cancelled())
          return;
        try
        {
          if constexpr (std::is_void_v<R>)
          {
            std::apply([&](auto&... a) { (obj->*m)(a...); }, *bound);
            p->set_value();
          }
          else
            p->set_value(std::apply([&](auto&... a) { return (obj->*m)(a...); }, *bound));
        }
        catch (...)
        {
          p->set_exception(std::current_exception());
        }
      };
    }
    if (core_->mode() == worker_mode::sync)
      run_sync(j);
    else
      core_->enqueue(std::move(j), "herd::worker::call");
    return f;
  }

public:
  /// Calls queued or running on this worker.
  std::size_t load() const { return core_ ? core_->load() : 0; }

  /// This worker's mode.
  /** @throws std::logic_error on a moved-from worker (it has none). */
  worker_mode mode() const
  {
    if (!core_)
      throw std::logic_error("herd::worker::mode: the worker was moved from");
    return core_->mode();
  }

  /// Stops the worker (see the class comment). Idempotent.
  void stop(bool cancel_pending = false)
  {
    if (core_)
      core_->stop(cancel_pending);
    thread_.reset(); // thread and process modes: joins after the last call
    child_.reset();  // process mode: the child quits
  }

private:
  template <class U, class... A>
  friend worker<U> make_worker(const net::any_io_executor& ex, worker_mode mode, A&&... args);

  worker(std::shared_ptr<detail::worker_core<T>> core, std::unique_ptr<detail::worker_thread> thread)
      : core_(std::move(core)), thread_(std::move(thread))
  {
  }

  template <class R>
  static void fail(promise<R>& p, const std::weak_ptr<detail::worker_core<T>>& weak)
  {
    if (auto c = weak.lock())
      p.set_exception(c->missing_object_error());
    else
      p.set_exception(std::make_exception_ptr(shutdown_error("herd::worker: the worker was stopped")));
  }

  // Sync mode: a coroutine method runs to its end on a private io_context.
  void run_sync(typename detail::worker_core<T>::job& j)
  {
    if (!j.run_co)
    {
      core_->run_inline(j, "herd::worker::call");
      return;
    }
    typename detail::worker_core<T>::job here;
    here.run = [&j](T* obj)
    {
      if (!obj)
      {
        j.run(obj);
        return;
      }
      net::io_context private_ctx;
      net::co_spawn(private_ctx, j.run_co(*obj), net::detached);
      private_ctx.run();
    };
    core_->run_inline(here, "herd::worker::call");
  }

  std::shared_ptr<detail::worker_core<T>> core_;
  std::unique_ptr<detail::worker_thread> thread_;   // thread and process modes
  std::shared_ptr<detail::process_child<T>> child_; // process mode
};

/// Creates a worker owning a T constructed from @c args in its context.
/**
 * @param ex The executor whose strand runs a strand-mode worker's calls;
 * the other modes do not use it, but it must not be empty.
 * @param mode worker_mode::sync, strand or thread.
 *
 * In strand and thread modes T is constructed by the worker's context
 * before the first call, so make_worker returns at once; a constructor's
 * exception then fails every call. In sync mode it is constructed here
 * and its exception propagates.
 *
 * @throws std::invalid_argument naming `ex` if it is empty, or `mode` if
 * it is not a worker_mode.
 */
template <class T, class... A>
worker<T> make_worker(const net::any_io_executor& ex, worker_mode mode, A&&... args)
{
  if (!ex)
    throw std::invalid_argument("herd::make_worker: ex must not be empty");
  std::unique_ptr<detail::worker_thread> thread;
  net::any_io_executor where;
  switch (mode)
  {
  case worker_mode::sync:
    where = ex;
    break;
  case worker_mode::strand:
    where = net::make_strand(ex);
    break;
  case worker_mode::process:
    if constexpr (!detail::registered_worker<T>)
      throw std::invalid_argument("herd::make_worker: mode process needs T's methods registered with "
                                  "HERD_WORKER_METHODS(T, &T::method, ...)");
    [[fallthrough]];
  case worker_mode::thread:
    break; // the thread is started below
  default:
    throw std::invalid_argument("herd::make_worker: mode is not a herd::worker_mode");
  }
  std::shared_ptr<detail::process_child<T>> child;
  std::function<void(std::optional<T>&)> construct;
  if (mode != worker_mode::sync)
  {
    auto ctor_args = std::make_shared<std::tuple<std::decay_t<A>...>>(std::forward<A>(args)...);
    // Copies of the arguments: a process-mode child constructs a new T from
    // them each time it (re)starts.
    if constexpr (detail::registered_worker<T>) // (process mode threw above otherwise)
      if (mode == worker_mode::process)
      {
        static_assert(detail::process_support_included<T>,
                      "herd::make_worker: a type that registers its methods needs #include <herd/worker_process.hpp>");
        child = std::make_shared<detail::process_child<T>>(
            [ctor_args](std::optional<T>& obj)
            { std::apply([&](const auto&... a) { obj.emplace(a...); }, *ctor_args); });
        // The first child is forked here, before this worker's thread exists:
        // a fork copies every lock as it is, and a lock held by another thread
        // of this worker would never be released in the child.
        child->start();
      }
    if (mode != worker_mode::process)
      construct = [ctor_args](std::optional<T>& obj)
      { std::apply([&](auto&... a) { obj.emplace(std::move(a)...); }, *ctor_args); };
  }
  if (mode == worker_mode::thread || mode == worker_mode::process)
  {
    thread = std::make_unique<detail::worker_thread>();
    where = thread->ctx->get_executor();
  }
  auto core = std::make_shared<detail::worker_core<T>>(mode, where);
  if (mode == worker_mode::sync)
    core->construct_now(std::forward<A>(args)...);
  else if (construct)
    core->construct_later(std::move(construct));
  worker<T> w(std::move(core), std::move(thread));
  w.child_ = std::move(child);
  return w;
}

/// make_worker in the default mode, worker_mode::strand:
/// `herd::make_worker<T>(ex, ctor_args...)`.
template <class T, class... A>
requires(sizeof...(A) == 0 ||
         !std::is_same_v<std::decay_t<std::tuple_element_t<0, std::tuple<A..., void>>>, worker_mode>)
    worker<T> make_worker(const net::any_io_executor& ex, A&&... args)
{
  return make_worker<T>(ex, worker_mode::strand, std::forward<A>(args)...);
}

} // namespace herd

#endif // HERD_WORKER_HPP
