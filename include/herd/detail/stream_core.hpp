//
// herd/detail/stream_core.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_STREAM_CORE_HPP
#define HERD_DETAIL_STREAM_CORE_HPP

#include <herd/config.hpp>
#include <herd/detail/asio_workarounds.hpp>
#include <herd/detail/async_base.hpp>
#include <herd/error.hpp>
#include <herd/detail/unique_callback.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>
#include <variant>

namespace herd
{
namespace detail
{

// What a stage delivers: the end (index 0), a failure (1) or a value (2). The
// end is its own alternative, so it is distinct from every value, empty
// optionals and null pointers included.
struct stream_end
{
};

template <class T>
using stream_item = std::variant<stream_end, std::exception_ptr, T>;

template <class T>
stream_item<T> end_item() noexcept
{
  return stream_item<T>(std::in_place_index<0>);
}

template <class T>
stream_item<T> error_item(std::exception_ptr e) noexcept
{
  return stream_item<T>(std::in_place_index<1>, std::move(e));
}

// One stage of a stream, as the stage below (or the consumer) sees it.
//
// pull(cb): asks for the next item; at most one pull is outstanding; cb is
// called exactly once and never from inside pull() itself (so a stage may call
// the consumer's callback directly from its own completion). After the end or
// a failure every later pull delivers the end.
//
// stop(): the consumer will pull no more. Thread-safe and idempotent; stops
// the producers and makes an outstanding pull complete soon (with the end).
template <class T>
class stream_node
{
public:
  using value_type = T;
  using item_type = stream_item<T>;
  using callback = unique_callback<void(item_type)>;

  explicit stream_node(net::any_io_executor ex) : ex_(std::move(ex)) {}
  virtual ~stream_node() = default;
  stream_node(const stream_node&) = delete;
  stream_node& operator=(const stream_node&) = delete;

  virtual void pull(callback cb) = 0;
  virtual void stop() noexcept = 0;

  // Takes the next item if one is ready now (same rules as pull); false when
  // the stage would have to wait. Stages that cannot tell return false.
  virtual bool try_pull(item_type&) { return false; }

  const net::any_io_executor& get_executor() const noexcept { return ex_; }

  // Set while the consumer's async_next is pending (herd::stream's check).
  std::atomic<bool> consumer_busy_{false};

protected:
  // Delivers an item without calling cb from inside pull().
  void post_item(callback cb, item_type item)
  {
    net::post(ex_, [cb = std::move(cb), item = std::move(item)]() mutable { cb(std::move(item)); });
  }

  net::any_io_executor ex_;
};

template <class T>
using node_ptr = std::shared_ptr<stream_node<T>>;

// A stage fed through an Asio experimental channel: a producer pushes, the
// consumer pulls. Boost 1.81's channel defects shape it:
//  - close() drops buffered messages (asio #1236): the end and a failure are
//    messages of their own, sent after the values; close() only follows stop().
//  - cancelling a waiting receive leaves a buffered channel in rendezvous mode
//    (#1241): no herd stage cancels a receive it still needs; pulls outlive
//    time-outs (batch, timeout) and the channel is cancelled only on stop().
//  - close() does not complete pending sends (#1318): stop() cancels the
//    channel's waiters (sends and receives) before closing it, under the lock
//    every push takes, so no send can be left waiting.
template <class T>
class channel_node final : public stream_node<T>, public std::enable_shared_from_this<channel_node<T>>
{
public:
  using item_type = stream_item<T>;
  using callback = typename stream_node<T>::callback;
  using channel_type = net::experimental::concurrent_channel<void(boost::system::error_code, item_type)>;

  channel_node(net::any_io_executor ex, std::size_t capacity) : stream_node<T>(ex), ch_(ex, capacity) {}

  void pull(callback cb) override
  {
    if (finished_)
    {
      this->post_item(std::move(cb), end_item<T>());
      return;
    }
    ch_.async_receive(
        [self = this->shared_from_this(), cb = std::move(cb)](boost::system::error_code ec, item_type item) mutable
        {
          if (ec)
          {
            // Cancelled or closed by stop().
            self->finished_ = true;
            cb(end_item<T>());
            return;
          }
          if (item.index() != 2)
            self->finished_ = true;
          cb(std::move(item));
        });
  }

  bool try_pull(item_type& out) override
  {
    if (finished_)
    {
      out = end_item<T>();
      return true;
    }
    bool got = false;
    ch_.try_receive(
        [&](boost::system::error_code ec, item_type item)
        {
          got = true;
          if (ec || item.index() != 2)
            finished_ = true;
          out = ec ? end_item<T>() : std::move(item);
        });
    return got;
  }

  void stop() noexcept override
  {
    {
      std::lock_guard lk(mu_);
      if (stopped_.load(std::memory_order_relaxed))
        return;
      stopped_.store(true, std::memory_order_release);
      ch_.cancel();
      ch_.close();
    }
    std::function<void()> hook;
    {
      std::lock_guard lk(hook_mu_);
      hook.swap(on_stop_);
    }
    if (hook)
      hook();
  }

  bool stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }

  // Called once by stop(), outside the locks: stops the producers.
  void set_on_stop(std::function<void()> f)
  {
    std::unique_lock lk(hook_mu_);
    if (stopped())
    {
      lk.unlock();
      f();
      return;
    }
    on_stop_ = std::move(f);
  }

  // (By rvalue reference: no parameter object in a coroutine's co_await
  // expression, see run_producer.)
  template <class Token>
  auto async_push(item_type&& item, Token&& token)
  {
    return net::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler, item_type item)
        {
          using H = decltype(handler);
          std::unique_lock lk(mu_);
          if (stopped())
          {
            lk.unlock();
            auto ex = net::get_associated_executor(handler, this->ex_);
            net::post(ex, [h = std::move(handler)]() mutable
                      { std::move(h)(make_error_code(errc::stream_closed)); });
            return;
          }
          ch_.async_send(boost::system::error_code(), std::move(item),
                         push_handler<H>{std::move(handler), this->shared_from_this()});
        },
        token, std::move(item));
  }

  // The push a user starts (stream_sink::async_push with any token but
  // use_awaitable): an operation on the base (detail/async_base.hpp), unlike
  // async_push above, which hands the caller's handler to the channel. The
  // channel's own send would leave its cancellation filter in the caller's
  // slot after completion (pointing at this channel) and report a
  // per-operation cancellation as channel_cancelled; this one clears the
  // slot before the handler runs and reports operation_aborted, and
  // errc::stream_closed once the stream is stopped. The value of a
  // cancelled push is not delivered. (Two posts per push that waits: the
  // channel posts its completion to this stream's executor, the base posts
  // the handler to its own.)
  template <class Token>
  auto async_push_op(item_type&& item, Token&& token)
  {
    return net::async_initiate<Token, void(boost::system::error_code)>(
        initiation_on(this->ex_,
                      [](auto handler, std::shared_ptr<channel_node> self, item_type item)
                      {
                        using op = push_op<decltype(handler)>;
                        op::start(new_op<op>(std::move(handler), std::move(self)), std::move(item));
                      }),
        token, this->shared_from_this(), std::move(item));
  }

  // Pushes without waiting: false when the channel is full or the stream stopped.
  bool try_push(item_type& item)
  {
    std::lock_guard lk(mu_);
    if (stopped())
      return false;
    return ch_.try_send(boost::system::error_code(), std::move(item));
  }

private:
  // What a push whose send failed reports: errc::stream_closed once the
  // stream is stopped, operation_aborted for a per-operation cancellation
  // (the channel's channel_cancelled), else the channel's error.
  boost::system::error_code push_error(boost::system::error_code ec) const noexcept
  {
    if (ec && stopped())
      return make_error_code(errc::stream_closed);
    if (ec == net::experimental::error::channel_cancelled)
      return net::error::operation_aborted;
    return ec;
  }

  // Reports a send cancelled by stop() as errc::stream_closed, and one
  // cancelled through the handler's slot as operation_aborted; keeps the
  // handler's executor, allocator and cancellation slot.
  template <class Handler>
  struct push_handler
  {
    Handler h;
    std::shared_ptr<channel_node> self;

    using executor_type = net::associated_executor_t<Handler, typename channel_type::executor_type>;
    executor_type get_executor() const noexcept
    {
      return net::get_associated_executor(h, self->ch_.get_executor());
    }
    using allocator_type = net::associated_allocator_t<Handler>;
    allocator_type get_allocator() const noexcept { return net::get_associated_allocator(h); }
    using cancellation_slot_type = net::associated_cancellation_slot_t<Handler>;
    cancellation_slot_type get_cancellation_slot() const noexcept { return net::get_associated_cancellation_slot(h); }

    void operator()(boost::system::error_code ec)
    {
      ec = self->push_error(ec);
      self.reset();
      std::move(h)(ec);
    }
  };

  // async_push_op's state: the caller's handler (on the base), the stream,
  // and the signal whose slot the channel's send registers its per-operation
  // cancellation with; the caller's slot gets a filter that emits it.
  template <class Handler>
  class push_op final : public async_base<Handler>
  {
  public:
    push_op(Handler&& h, std::shared_ptr<channel_node> node)
        : async_base<Handler>(std::move(h), node->get_executor()), node_(std::move(node))
    {
    }

    static void start(push_op* self, item_type&& item)
    {
      channel_node& node = *self->node_;
      std::unique_lock lk(node.mu_);
      if (node.stopped())
      {
        lk.unlock();
        self->finish(make_error_code(errc::stream_closed));
        return;
      }
      // Installed first: once the send is registered it may complete (and
      // be freed by its upcall) on another thread. The filter runs on the
      // caller's executor; the channel serialises a cancellation with its
      // completion under its own mutex, and one that finds the send done
      // does nothing. Every type withdraws the push (Asio's channel honours
      // the three alike).
      self->install_cancellation([self](net::cancellation_type type) { self->inner_.emit(type); });
      node.ch_.async_send(boost::system::error_code(), std::move(item), sent(self));
    }

  private:
    // The channel's handler. It owns the operation until it runs; destroyed
    // without running (the channel's context shut down with the push
    // pending), it clears the caller's slot and frees the operation.
    class sent
    {
    public:
      explicit sent(push_op* op) noexcept : op_(op), slot_(op->inner_.slot()), alloc_(op->get_allocator()) {}
      sent(sent&& o) noexcept : op_(std::exchange(o.op_, nullptr)), slot_(o.slot_), alloc_(o.alloc_) {}
      sent& operator=(sent&&) = delete;
      ~sent()
      {
        if (push_op* op = std::exchange(op_, nullptr))
          push_op::abandon(op);
      }

      using cancellation_slot_type = net::cancellation_slot;
      cancellation_slot_type get_cancellation_slot() const noexcept { return slot_; }
      using allocator_type = typename push_op::allocator_type;
      allocator_type get_allocator() const noexcept { return alloc_; }

      void operator()(boost::system::error_code ec)
      {
        push_op* op = std::exchange(op_, nullptr);
        op->finish(op->node_->push_error(ec));
      }

    private:
      push_op* op_;
      net::cancellation_slot slot_;
      allocator_type alloc_;
    };

    void finish(boost::system::error_code ec) { push_op::complete_owned_with(this, ec); }

    std::shared_ptr<channel_node> node_;
    net::cancellation_signal inner_;
  };

  channel_type ch_;
  std::mutex mu_; // serialises pushes with stop()
  std::atomic<bool> stopped_{false};
  bool finished_ = false; // consumer side; pulls are sequential
  std::mutex hook_mu_;
  std::function<void()> on_stop_;
};

// Awaits one pull of a node from a coroutine: the item, never an exception.
// The handler resumes on its associated executor (dispatch: at once when the
// pull completes on a thread of that executor).
template <class T, class Handler>
struct pull_waiter
{
  Handler handler;
  net::associated_executor_t<Handler, net::any_io_executor> ex;
};

template <class T, class Token>
auto async_pull(const std::shared_ptr<stream_node<T>>& node, Token&& token)
{
  return net::async_initiate<Token, void(stream_item<T>)>(
      [](auto handler, std::shared_ptr<stream_node<T>> node)
      {
        using H = decltype(handler);
        auto ex = net::get_associated_executor(handler, node->get_executor());
        auto w = std::make_unique<pull_waiter<T, H>>(pull_waiter<T, H>{std::move(handler), std::move(ex)});
        node->pull(
            [w = std::move(w)](stream_item<T> item) mutable
            {
              auto ex = w->ex;
              net::dispatch(ex, [w = std::move(w), item = std::move(item)]() mutable
                            { std::move(w->handler)(std::move(item)); });
            });
      },
      token, node);
}

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_STREAM_CORE_HPP
