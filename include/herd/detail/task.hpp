//
// herd/detail/task.hpp
// ~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_TASK_HPP
#define HERD_DETAIL_TASK_HPP

#include <herd/config.hpp>
#include <herd/detail/asio_workarounds.hpp>
#include <herd/detail/executor_impl.hpp>
#include <herd/detail/shared_state.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <tuple>
#include <type_traits>

namespace herd {
namespace detail {

template <class T>
struct awaitable_traits
{
  static constexpr bool value = false;
  using type = T;
};

template <class T>
struct awaitable_traits<net::awaitable<T, net::any_io_executor>>
{
  static constexpr bool value = true;
  using type = T;
};

// What submit(f, args...) runs: f takes a std::stop_token first if it can,
// and a callable returning net::awaitable<R> runs as a coroutine.
template <class F, class... Args>
struct task_traits
{
  static constexpr bool takes_stop_token = std::is_invocable_v<std::decay_t<F>, std::stop_token, std::decay_t<Args>...>;
  static constexpr bool invocable = takes_stop_token || std::is_invocable_v<std::decay_t<F>, std::decay_t<Args>...>;

  template <bool Stop, bool = invocable>
  struct result
  {
    using type = void;
  };
  template <bool Dummy>
  struct result<true, Dummy>
  {
    using type = std::invoke_result_t<std::decay_t<F>, std::stop_token, std::decay_t<Args>...>;
  };
  template <bool Dummy>
  struct result<false, Dummy>
  {
    using type = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
  };

  using invoke_result = typename result<takes_stop_token, invocable>::type;
  static constexpr bool coroutine = awaitable_traits<invoke_result>::value;
  using result_type = typename awaitable_traits<invoke_result>::type;
};

template <bool Stop, class Fn>
decltype(auto) invoke_bound(Fn& fn, [[maybe_unused]] std::stop_token token)
{
  return std::apply(
      [&](auto& f, auto&... args) -> decltype(auto)
      {
        if constexpr (Stop)
          return std::invoke(std::move(f), std::move(token), std::move(args)...);
        else
          return std::invoke(std::move(f), std::move(args)...);
      },
      fn);
}

struct no_stop
{
  std::stop_token get_token() const noexcept { return {}; }
  bool request_stop() noexcept { return false; }
};

struct not_cancellable
{
};

// The registry link of a plain task that takes a stop_token: shutdown with
// cancel_futures reaches it while it runs.
template <class Task>
struct stop_token_link : cancellable_task
{
  void cancel_for_shutdown() noexcept override
  {
    static_cast<Task*>(this)->cancel(executor_impl::shutdown_exception());
  }
  std::shared_ptr<void> pin() noexcept override { return self_.lock(); }

  std::weak_ptr<void> self_; // set once by submit, before the task is queued
};

// A plain task: runs on a pool thread, settles its own state. Only a task
// that takes a stop_token can be reached while running, so only such tasks
// carry the registry links.
template <class R, bool Stop, class Fn>
class plain_task final : public shared_state<R>,
                         public std::conditional_t<Stop, stop_token_link<plain_task<R, Stop, Fn>>, not_cancellable>
{
public:
  plain_task(executor_impl* impl, Fn fn) : fn_(std::move(fn)) { this->set_owner(impl, false); }

  void run_task() noexcept override
  {
    executor_impl* impl = this->impl();
    executor_impl::scope running_here(impl);
    if (impl->cancelling_queued())
      this->cancel(executor_impl::shutdown_exception());
    if (!this->try_start())
    {
      fn_.reset();
      impl->release();
      return;
    }
    impl->on_started();
    if constexpr (Stop)
      impl->add_cancellable(this);
    try
    {
      if constexpr (std::is_void_v<R>)
      {
        invoke_bound<Stop>(*fn_, stop_.get_token());
        fn_.reset();
        this->set_value();
      }
      else
      {
        R r = invoke_bound<Stop>(*fn_, stop_.get_token());
        fn_.reset();
        this->set_value(std::move(r));
      }
    }
    catch (...)
    {
      fn_.reset();
      std::exception_ptr e = std::current_exception();
      this->set_exception(e, classify_failure(e, this->cancel_requested()));
    }
    if constexpr (Stop)
      impl->remove_cancellable(this);
    impl->on_finished(this->state());
    impl->release();
  }

private:
  // The executor is the state's owner; the task keeps no second pointer.
  executor_impl* impl() const noexcept { return static_cast<executor_impl*>(this->owner()); }

  bool request_stop() noexcept override { return stop_.request_stop() || Stop; }
  void on_cancelled_pending() noexcept override { impl()->on_cancelled_queued(); }

  std::optional<Fn> fn_;
  [[no_unique_address]] std::conditional_t<Stop, std::stop_source, no_stop> stop_;
};

// A coroutine task: co_spawned on its own strand, cancelled through Asio's
// terminal cancellation (and its stop_token, if it takes one).
template <class R, bool Stop, class Fn>
class coro_task final : public shared_state<R>,
                        public cancellable_task,
                        public std::enable_shared_from_this<coro_task<R, Stop, Fn>>
{
public:
  coro_task(executor_impl* impl, Fn fn)
    : impl_(impl), fn_(std::move(fn)), keep_(impl->context_keepalive()), strand_(net::make_strand(impl->executor()))
  {
    this->set_owner(impl, true);
  }

  void run_task() noexcept override
  {
    executor_impl* impl = impl_;
    executor_impl::scope running_here(impl);
    if (impl->cancelling_queued())
      this->cancel(executor_impl::shutdown_exception());
    if (!this->try_start())
    {
      fn_.reset();
      impl->release();
      return;
    }
    impl->on_started();
    impl->add_cancellable(this);
    auto self = this->shared_from_this();
    try
    {
      spawn_gated(strand_, body(self),
                  net::bind_cancellation_slot(signal_.slot(), [self](std::exception_ptr e) { self->complete(e); }),
                  early_cancel::to_body);
    }
    catch (...)
    {
      complete(std::current_exception());
    }
  }

private:
  // Started through spawn_gated (detail/asio_workarounds.hpp, 2.): a
  // request that arrived before the body started was held there and is seen
  // here, through cancel_requested().
  static net::awaitable<void> body(std::shared_ptr<coro_task> self)
  {
    if (self->cancel_requested())
      throw cancelled_error("herd: task cancelled before it started");
    if constexpr (std::is_void_v<R>)
    {
      co_await invoke_bound<Stop>(*self->fn_, self->stop_.get_token());
      self->set_value();
    }
    else
    {
      self->set_value(co_await invoke_bound<Stop>(*self->fn_, self->stop_.get_token()));
    }
  }

  void complete(std::exception_ptr e) noexcept
  {
    if (e)
      this->set_exception(e, classify_failure(e, this->cancel_requested()));
    executor_impl* impl = impl_;
    impl->remove_cancellable(this);
    fn_.reset();
    impl->on_finished(this->state());
    impl->release();
  }

  bool request_stop() noexcept override
  {
    stop_.request_stop();
    try
    {
      // Emitted on the strand, one emitter at a time; spawn_gated holds it
      // until the body runs.
      net::post(strand_, [self = this->shared_from_this()] { self->signal_.emit(net::cancellation_type::terminal); });
    }
    catch (...)
    {
      // Out of memory: the body still sees the request at its next checkpoint.
    }
    return true;
  }
  void on_cancelled_pending() noexcept override { impl_->on_cancelled_queued(); }
  void cancel_for_shutdown() noexcept override { this->cancel(executor_impl::shutdown_exception()); }
  std::shared_ptr<void> pin() noexcept override { return this->weak_from_this().lock(); }

  executor_impl* impl_;
  std::optional<Fn> fn_;
  std::conditional_t<Stop, std::stop_source, no_stop> stop_;
  std::shared_ptr<void> keep_; // destroyed after strand_: a future may outlive the executor
  net::strand<net::any_io_executor> strand_;
  net::cancellation_signal signal_;
};

// Runs one task posted on its own (adopted executors).
template <class Task>
struct task_runner
{
  std::shared_ptr<Task> task_;
  void operator()() { task_->run_task(); }
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_TASK_HPP
