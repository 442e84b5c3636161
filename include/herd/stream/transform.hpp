//
// herd/stream/transform.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_STREAM_TRANSFORM_HPP
#define HERD_STREAM_TRANSFORM_HPP

// Item-by-item operators that run inside the consumer's pull: filter, take,
// skip, enumerate.
#include <herd/config.hpp>
#include <herd/detail/stream_adapter.hpp>
#include <herd/detail/stream_core.hpp>
#include <herd/stream/core.hpp>

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

template <class T, class Pred>
class filter_node final : public unary_node<filter_node<T, Pred>, T, T>
{
public:
  filter_node(node_ptr<T> src, Pred p) : unary_node<filter_node, T, T>(std::move(src)), pred_(std::move(p)) {}

  void on_item(stream_item<T> item)
  {
    if (!this->pass_through(item))
      return;
    bool keep = false;
    try
    {
      keep = static_cast<bool>(pred_(std::as_const(std::get<2>(item))));
    }
    catch (...)
    {
      this->fail(std::current_exception());
      return;
    }
    if (keep)
      this->deliver(std::move(item));
    else
      this->pull_source(); // completes later, never inline: no recursion
  }

private:
  Pred pred_;
};

template <class T>
class take_node final : public unary_node<take_node<T>, T, T>
{
public:
  take_node(node_ptr<T> src, std::size_t n) : unary_node<take_node, T, T>(std::move(src)), left_(n)
  {
    if (n == 0)
      this->src_->stop();
  }

  void on_pull()
  {
    if (left_ == 0)
    {
      this->done_ = true;
      this->post_item(std::move(this->cb_), end_item<T>());
      return;
    }
    this->pull_source();
  }

  void on_item(stream_item<T> item)
  {
    if (!this->pass_through(item))
      return;
    if (--left_ == 0)
      this->src_->stop(); // exactly n were read
    this->deliver(std::move(item));
  }

private:
  std::size_t left_;
};

template <class T>
class skip_node final : public unary_node<skip_node<T>, T, T>
{
public:
  skip_node(node_ptr<T> src, std::size_t n) : unary_node<skip_node, T, T>(std::move(src)), left_(n) {}

  void on_item(stream_item<T> item)
  {
    if (!this->pass_through(item))
      return;
    if (left_ > 0)
    {
      --left_;
      this->pull_source();
      return;
    }
    this->deliver(std::move(item));
  }

private:
  std::size_t left_;
};

template <class T>
class enumerate_node final : public unary_node<enumerate_node<T>, std::pair<std::size_t, T>, T>
{
  using out_type = std::pair<std::size_t, T>;

public:
  explicit enumerate_node(node_ptr<T> src) : unary_node<enumerate_node, out_type, T>(std::move(src)) {}

  void on_item(stream_item<T> item)
  {
    if (!this->pass_through(item))
      return;
    this->deliver(stream_item<out_type>(std::in_place_index<2>, next_++, std::get<2>(std::move(item))));
  }

private:
  std::size_t next_ = 0;
};

// Pulls a, then b; ends with the shorter one and stops the other.

} // namespace detail

namespace streams
{

/// Keeps the items for which `pred(const T&)` is true.
template <class Pred>
auto filter(Pred pred)
{
  return detail::make_op(
      [pred = std::move(pred)]<class T>(stream<T>&& s)
      {
        return stream<T>(std::make_shared<herd::detail::filter_node<T, Pred>>(
            herd::detail::release_node(std::move(s), "herd::streams::filter"), pred));
      });
}

/// Reads exactly @c n items from the source, then stops it.
inline auto take(std::size_t n)
{
  return detail::make_op([n]<class T>(stream<T>&& s)
                         { return stream<T>(std::make_shared<herd::detail::take_node<T>>(
                               herd::detail::release_node(std::move(s), "herd::streams::take"), n)); });
}

/// Drops the first @c n items.
inline auto skip(std::size_t n)
{
  return detail::make_op([n]<class T>(stream<T>&& s)
                         { return stream<T>(std::make_shared<herd::detail::skip_node<T>>(
                               herd::detail::release_node(std::move(s), "herd::streams::skip"), n)); });
}

/// Pairs each item with its index: `std::pair<std::size_t, T>`, from 0.
inline auto enumerate()
{
  return detail::make_op(
      []<class T>(stream<T>&& s)
      {
        return stream<std::pair<std::size_t, T>>(std::make_shared<herd::detail::enumerate_node<T>>(
            herd::detail::release_node(std::move(s), "herd::streams::enumerate")));
      });
}

} // namespace streams
} // namespace herd

#endif // HERD_STREAM_TRANSFORM_HPP
