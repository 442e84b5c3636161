//
// herd/detail/worker_core.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_WORKER_CORE_HPP
#define HERD_DETAIL_WORKER_CORE_HPP

// A worker's queue of calls and its object (worker_core), and a thread-mode
// worker's thread: what herd::worker<T> (worker.hpp) is a handle on.

#include <herd/config.hpp>
#include <herd/error.hpp>
#include <herd/future.hpp>
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
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace herd
{
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
} // namespace herd

#endif // HERD_DETAIL_WORKER_CORE_HPP
