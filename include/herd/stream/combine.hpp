//
// herd/stream/combine.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_STREAM_COMBINE_HPP
#define HERD_STREAM_COMBINE_HPP

// Operators over several streams, or with a channel of their own: merge,
// zip, chain, buffer.
#include <herd/config.hpp>
#include <herd/detail/stream_adapter.hpp>
#include <herd/detail/stream_core.hpp>
#include <herd/stream/core.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace herd
{
namespace detail
{

template <class A, class B>
class zip_node final : public adapter_node<zip_node<A, B>, std::pair<A, B>>
{
  using out_type = std::pair<A, B>;

public:
  zip_node(node_ptr<A> a, node_ptr<B> b) : adapter_node<zip_node, out_type>(a->get_executor()), a_(std::move(a)), b_(std::move(b))
  {
  }

  void stop() noexcept override
  {
    this->mark_stopped();
    stop_sources();
  }
  void stop_sources() noexcept
  {
    a_->stop();
    b_->stop();
  }
  void on_pull() { a_->pull(this->template relay<A>()); }

  void on_item(stream_item<A> item)
  {
    if (!take_value(item))
      return;
    first_.emplace(std::get<2>(std::move(item)));
    b_->pull([self = this->shared_from_this()](stream_item<B> item) mutable { self->on_second(std::move(item)); });
  }

private:
  void on_second(stream_item<B> item)
  {
    if (!take_value(item))
      return;
    A a = std::move(*first_);
    first_.reset();
    this->deliver(stream_item<out_type>(std::in_place_index<2>, std::move(a), std::get<2>(std::move(item))));
  }

  template <class U>
  bool take_value(stream_item<U>& item)
  {
    if (item.index() == 2)
      return true;
    stop_sources();
    first_.reset();
    if (item.index() == 1)
      this->deliver(error_item<out_type>(std::get<1>(std::move(item))));
    else
      this->deliver(end_item<out_type>());
    return false;
  }

  node_ptr<A> a_;
  node_ptr<B> b_;
  std::optional<A> first_;
};

// Each source in turn until its end; a failure stops the rest.
template <class T>
class chain_node final : public adapter_node<chain_node<T>, T>
{
public:
  explicit chain_node(std::vector<node_ptr<T>> srcs)
      : adapter_node<chain_node, T>(srcs.front()->get_executor()), srcs_(std::move(srcs))
  {
  }

  void stop() noexcept override
  {
    this->mark_stopped();
    stop_sources();
  }
  void stop_sources() noexcept
  {
    for (auto& s : srcs_)
      s->stop();
  }
  void on_pull() { srcs_[at_]->pull(this->template relay<T>()); }

  void on_item(stream_item<T> item)
  {
    if (item.index() == 0 && at_ + 1 < srcs_.size() && !this->stopped())
    {
      ++at_;
      on_pull();
      return;
    }
    if (item.index() == 1)
      stop_sources();
    this->deliver(std::move(item));
  }

private:
  std::vector<node_ptr<T>> srcs_;
  std::size_t at_ = 0;
};

// ---------------------------------------------------------------------------
// Channel stages: merge, buffer and concurrent map run pump tasks that feed a
// channel_node.

// Ends when every source ended; the first failure stops the other sources.
template <class T>
struct merge_state
{
  std::vector<node_ptr<T>> srcs;
  std::atomic<std::size_t> remaining{0};
  void stop_all() noexcept
  {
    for (auto& s : srcs)
      s->stop();
  }
};

template <class T>
net::awaitable<void> merge_pump(std::shared_ptr<channel_node<T>> out, node_ptr<T> src,
                                std::shared_ptr<merge_state<T>> st)
{
  for (;;)
  {
    stream_item<T> item;
    if (!src->try_pull(item))
      item = co_await async_pull(src, net::use_awaitable);
    if (item.index() == 2)
    {
      if (out->try_push(item))
        continue;
      auto [ec] = co_await out->async_push(std::move(item), net::as_tuple(net::use_awaitable));
      if (ec)
      {
        src->stop();
        co_return;
      }
      continue;
    }
    if (item.index() == 1)
    {
      st->stop_all();
      co_await out->async_push(std::move(item), net::as_tuple(net::use_awaitable));
      co_return;
    }
    if (st->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1)
    {
      stream_item<T> last = end_item<T>(); // named: see run_producer
      co_await out->async_push(std::move(last), net::as_tuple(net::use_awaitable));
    }
    co_return;
  }
}

template <class T>
stream<T> make_merge(std::vector<node_ptr<T>> srcs, std::size_t capacity)
{
  auto out = std::make_shared<channel_node<T>>(srcs.front()->get_executor(), capacity);
  auto st = std::make_shared<merge_state<T>>();
  st->srcs = std::move(srcs);
  st->remaining.store(st->srcs.size());
  out->set_on_stop([st] { st->stop_all(); });
  for (auto& s : st->srcs)
    net::co_spawn(out->get_executor(), merge_pump<T>(out, s, st), [](std::exception_ptr) {});
  return stream<T>(out);
}

} // namespace detail

namespace streams
{

/// Prefetches up to @c n items ahead of the consumer (never more).
/** @throws std::invalid_argument if n is 0. */
inline auto buffer(std::size_t n)
{
  if (n == 0)
    throw std::invalid_argument("herd::streams::buffer: n must be at least 1");
  return detail::make_op(
      [n]<class T>(stream<T>&& s)
      {
        std::vector<herd::detail::node_ptr<T>> srcs;
        srcs.push_back(herd::detail::release_node(std::move(s), "herd::streams::buffer"));
        // The pump holds one item while it waits for room: n - 1 in the channel.
        return herd::detail::make_merge<T>(std::move(srcs), n - 1);
      });
}

/// Items of all the streams as they arrive; ends when all ended; the first
/// failure is delivered and stops the others.
/** @throws std::invalid_argument if no stream is given or one is empty. */
template <class T>
stream<T> merge(std::vector<stream<T>> ss, std::size_t capacity = default_stream_capacity)
{
  if (ss.empty())
    throw std::invalid_argument("herd::streams::merge: at least one stream is needed");
  std::vector<herd::detail::node_ptr<T>> srcs;
  for (auto& s : ss)
    srcs.push_back(herd::detail::release_node(std::move(s), "herd::streams::merge"));
  return herd::detail::make_merge<T>(std::move(srcs), capacity);
}

template <class T, class... More>
  requires(std::is_same_v<std::decay_t<More>, stream<T>> && ...)
stream<T> merge(stream<T> first, More&&... more)
{
  std::vector<stream<T>> ss;
  ss.push_back(std::move(first));
  (ss.push_back(std::move(more)), ...);
  return merge(std::move(ss));
}

/// Pairs of the i-th items of @c a and @c b; ends with the shorter one.
template <class A, class B>
stream<std::pair<A, B>> zip(stream<A> a, stream<B> b)
{
  auto na = herd::detail::release_node(std::move(a), "herd::streams::zip");
  auto nb = herd::detail::release_node(std::move(b), "herd::streams::zip");
  return stream<std::pair<A, B>>(std::make_shared<herd::detail::zip_node<A, B>>(std::move(na), std::move(nb)));
}

/// All of @c first, then all of each next stream.
template <class T, class... More>
  requires(std::is_same_v<std::decay_t<More>, stream<T>> && ...)
stream<T> chain(stream<T> first, More&&... more)
{
  std::vector<herd::detail::node_ptr<T>> srcs;
  srcs.push_back(herd::detail::release_node(std::move(first), "herd::streams::chain"));
  (srcs.push_back(herd::detail::release_node(std::move(more), "herd::streams::chain")), ...);
  return stream<T>(std::make_shared<herd::detail::chain_node<T>>(std::move(srcs)));
}

} // namespace streams
} // namespace herd

#endif // HERD_STREAM_COMBINE_HPP
