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
#include <herd/detail/worker_registry.hpp>
#include <herd/error.hpp>
#include <herd/future.hpp>
#include <herd/worker_errors.hpp>

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

/// Where a worker's object lives and its calls run (concurry's modes).
enum class worker_mode
{
  sync,   ///< In the calling thread, inside call(); the future is ready when call() returns.
  strand, ///< On a strand of the given executor (the default): one call at a time, no thread of its own.
  thread, ///< On a dedicated thread the worker owns.
  process ///< In a forked child process (crash isolation); registered methods only, see HERD_WORKER_METHODS.
};

/// How a worker_pool picks the worker for a call.
enum class load_balancing
{
  round_robin,  ///< Each worker in turn.
  least_loaded, ///< The worker with the fewest calls queued or running (the first of equals).
  random        ///< A worker drawn uniformly at random.
};

namespace detail
{

template <class R>
struct awaitable_result
{
  static constexpr bool value = false;
  using type = R;
};

template <class R, class E>
struct awaitable_result<net::awaitable<R, E>>
{
  static constexpr bool value = true;
  using type = R;
};

// The state a worker shares with the calls it runs.
template <class T>
class worker_core : public std::enable_shared_from_this<worker_core<T>>
{
public:
  // One queued call. `run(obj)` runs a plain method, or, with a null obj
  // (no object: its constructor threw), fails the call; `run_co` runs a
  // method returning an awaitable; `cancel` cancels the call's future.
  struct job
  {
    std::function<void(T*)> run;
    std::function<net::awaitable<void>(T&)> run_co;
    std::function<void()> cancel;
    std::function<void()> run_remote; // process mode: the call, sent to the child
  };

  worker_core(worker_mode mode, net::any_io_executor ex) : mode_(mode), exec_(std::move(ex)) {}

  worker_mode mode() const noexcept { return mode_; }

  // Sync mode: constructs the object now (its exception propagates).
  template <class... A>
  void construct_now(A&&... a)
  {
    object_.emplace(std::forward<A>(a)...);
  }

  // Strand and thread modes: the first step of the drain constructs it.
  void construct_later(std::function<void(std::optional<T>&)> ctor)
  {
    {
      std::lock_guard lock(mu_);
      ctor_ = std::move(ctor);
      draining_ = true;
    }
    launch_drain();
  }

  // Queues a call (strand and thread modes); throws shutdown_error once stopped.
  void enqueue(job j, const char* call)
  {
    bool start = false;
    {
      std::lock_guard lock(mu_);
      if (stopped_)
        throw shutdown_error(std::string(call) + ": the worker was stopped");
      queue_.push_back(std::move(j));
      ++load_;
      if (!draining_)
        start = draining_ = true;
    }
    if (start)
      launch_drain();
  }

  // Runs a call in the caller's thread (sync mode), one at a time.
  void run_inline(job& j, const char* call)
  {
    std::lock_guard one(sync_mu_);
    {
      std::lock_guard lock(mu_);
      if (stopped_)
        throw shutdown_error(std::string(call) + ": the worker was stopped");
      ++load_;
    }
    j.run(object_ ? &*object_ : nullptr);
    std::lock_guard lock(mu_);
    --load_;
  }

  // Calls queued or running.
  std::size_t load() const
  {
    std::lock_guard lock(mu_);
    return load_;
  }

  // Stops accepting calls; queued calls run (drain) or are cancelled. The
  // object is destroyed in its context after the last call.
  void stop(bool cancel_pending)
  {
    std::deque<job> cancelled;
    bool start = false;
    {
      std::lock_guard lock(mu_);
      if (stopped_)
        return;
      stopped_ = true;
      if (cancel_pending)
      {
        cancelled.swap(queue_);
        load_ -= cancelled.size();
      }
      if (mode_ != worker_mode::sync && !draining_)
        start = draining_ = true; // a drain that destroys the object in its context
    }
    for (auto& j : cancelled)
      j.cancel();
    if (mode_ == worker_mode::sync)
    {
      std::lock_guard one(sync_mu_);
      object_.reset();
    }
    if (start)
      launch_drain();
  }

  // Why a call found no object.
  std::exception_ptr missing_object_error() const
  {
    if (construction_error_)
      return construction_error_;
    return std::make_exception_ptr(shutdown_error("herd::worker: the worker was stopped"));
  }

private:
  void launch_drain() { net::co_spawn(exec_, drain(this->shared_from_this()), net::detached); }

  // Runs the queued calls one at a time, in order, in the worker's context.
  static net::awaitable<void> drain(std::shared_ptr<worker_core> self)
  {
    std::function<void(std::optional<T>&)> ctor;
    {
      std::lock_guard lock(self->mu_);
      ctor.swap(self->ctor_);
    }
    if (ctor)
    {
      try
      {
        ctor(self->object_);
      }
      catch (...)
      {
        self->construction_error_ = std::current_exception();
      }
    }
    for (;;)
    {
      std::optional<job> j;
      bool destroy = false;
      {
        std::lock_guard lock(self->mu_);
        if (self->queue_.empty())
        {
          self->draining_ = false;
          destroy = self->stopped_ && !self->destroyed_;
          self->destroyed_ = self->destroyed_ || destroy;
        }
        else
        {
          j.emplace(std::move(self->queue_.front()));
          self->queue_.pop_front();
        }
      }
      if (!j)
      {
        // Destroyed in its context, after the last call, and with no herd
        // lock held: T's destructor is user code. (Once stopped, no call is
        // queued again and no other drain starts.)
        if (destroy)
          self->object_.reset();
        co_return;
      }
      if (j->run_remote)
        j->run_remote();
      else if (!self->object_)
        j->run(nullptr);
      else if (j->run_co)
        co_await j->run_co(*self->object_);
      else
        j->run(&*self->object_);
      std::lock_guard lock(self->mu_);
      --self->load_;
    }
  }

  const worker_mode mode_;
  net::any_io_executor exec_;
  mutable std::mutex mu_;
  std::mutex sync_mu_;
  std::deque<job> queue_;
  std::function<void(std::optional<T>&)> ctor_;
  std::size_t load_ = 0;
  bool draining_ = false;
  bool stopped_ = false;
  bool destroyed_ = false; // the drain that destroys the object has claimed it
  std::optional<T> object_;
  std::exception_ptr construction_error_;
};

// A thread-mode worker's context and thread.
struct worker_thread
{
  std::shared_ptr<net::io_context> ctx = std::make_shared<net::io_context>(1);
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{ctx->get_executor()};
  std::thread thread{[c = ctx] { c->run(); }};

  ~worker_thread()
  {
    work.reset();
    if (!thread.joinable())
      return;
    if (thread.get_id() == std::this_thread::get_id())
      thread.detach(); // stopped from one of its own calls: the context lives on in the thread
    else
      thread.join();
  }
};

} // namespace detail

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

/// Several workers of one type behind one call(): concurry's worker pool.
/**
 * `worker_pool<T>(ex, n, mode, policy, ctor_args...)` makes n workers
 * (each constructing its own T from copies of @c ctor_args). `call` picks a
 * worker by the load_balancing policy and returns that call's future;
 * `broadcast` calls every worker and returns a future per worker, in worker
 * order; `stop` stops them all. Calls on different workers run
 * concurrently (strand mode: as far as the executor has threads).
 *
 * @throws std::invalid_argument naming `n` if it is 0 (and as make_worker).
 */
template <class T>
class worker_pool
{
public:
  template <class... A>
  worker_pool(const net::any_io_executor& ex, std::size_t n, worker_mode mode,
              load_balancing policy = load_balancing::round_robin, const A&... ctor_args)
      : policy_(policy), rng_(std::random_device{}())
  {
    if (n == 0)
      throw std::invalid_argument("herd::worker_pool: n must be at least 1");
    if (policy != load_balancing::round_robin && policy != load_balancing::least_loaded &&
        policy != load_balancing::random)
      throw std::invalid_argument("herd::worker_pool: policy is not a herd::load_balancing");
    workers_.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      workers_.push_back(make_worker<T>(ex, mode, ctor_args...));
  }

  /// Calls a method on the worker the policy picks.
  template <class M, class... A>
  auto call(M T::*m, A&&... args)
  {
    return workers_[pick()].call(m, std::forward<A>(args)...);
  }

  /// call<&T::method>(args...) on the worker the policy picks (registered types).
  template <auto M, class... A>
  auto call(A&&... args)
  {
    return workers_[pick()].template call<M>(std::forward<A>(args)...);
  }

  /// Calls a method on every worker: a future per worker, in worker order.
  template <class M, class... A>
  auto broadcast(M T::*m, const A&... args)
  {
    return each([&](worker<T>& w) { return w.call(m, args...); });
  }

  /// broadcast for registered types: `pool.broadcast<&T::method>(args...)`.
  template <auto M, class... A>
  auto broadcast(const A&... args)
  {
    return each([&](worker<T>& w) { return w.template call<M>(args...); });
  }

  /// Stops every worker (see worker::stop).
  void stop(bool cancel_pending = false)
  {
    for (auto& w : workers_)
      w.stop(cancel_pending);
  }

  std::size_t size() const noexcept { return workers_.size(); }

  /// Worker i (for its load(), or to call one worker directly).
  worker<T>& operator[](std::size_t i) { return workers_.at(i); }

private:
  // One call per worker, in worker order.
  template <class Call>
  auto each(Call call)
  {
    std::vector<decltype(call(workers_[0]))> out;
    out.reserve(workers_.size());
    for (auto& w : workers_)
      out.push_back(call(w));
    return out;
  }

  std::size_t pick()
  {
    switch (policy_)
    {
    case load_balancing::round_robin:
      return next_.fetch_add(1, std::memory_order_relaxed) % workers_.size();
    case load_balancing::least_loaded:
    {
      std::size_t best = 0, best_load = workers_[0].load();
      for (std::size_t i = 1; i < workers_.size() && best_load > 0; ++i)
        if (std::size_t l = workers_[i].load(); l < best_load)
        {
          best = i;
          best_load = l;
        }
      return best;
    }
    case load_balancing::random:
    {
      std::lock_guard lock(rng_mu_);
      return std::uniform_int_distribution<std::size_t>(0, workers_.size() - 1)(rng_);
    }
    }
    return 0;
  }

  std::vector<worker<T>> workers_;
  load_balancing policy_;
  std::atomic<std::size_t> next_{0};
  std::mutex rng_mu_;
  std::minstd_rand rng_;
};

} // namespace herd

#endif // HERD_WORKER_HPP
