//
// herd/detail/unique_callback.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_UNIQUE_CALLBACK_HPP
#define HERD_DETAIL_UNIQUE_CALLBACK_HPP

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

// detail::unique_callback: a move-only std::function with inline room for two
// smart pointers, so a stream's pulls do not allocate (detail/stream_core.hpp).
// Moved out of stream_core.hpp unchanged (issue 16: one concept per header).

namespace herd
{
namespace detail
{

// A move-only callable with room for two smart pointers inline: what a stream
// stage hands the stage below it. Every internal callback captures a
// shared_ptr and little else, so pulls do not allocate.
template <class Sig>
class unique_callback;

template <class R, class... A>
class unique_callback<R(A...)>
{
  static constexpr std::size_t capacity = 4 * sizeof(void*);

  struct vtable
  {
    R (*call)(void*, A&&...);
    void (*move)(void* dst, void* src) noexcept;
    void (*destroy)(void*) noexcept;
  };

  template <class F>
  static constexpr bool inline_v = sizeof(F) <= capacity && alignof(F) <= alignof(std::max_align_t) &&
                                   std::is_nothrow_move_constructible_v<F>;

  template <class F>
  static const vtable* table_for() noexcept
  {
    if constexpr (inline_v<F>)
    {
      static constexpr vtable t{
          [](void* p, A&&... a) -> R { return (*static_cast<F*>(p))(std::forward<A>(a)...); },
          [](void* d, void* s) noexcept
          {
            ::new (d) F(std::move(*static_cast<F*>(s)));
            static_cast<F*>(s)->~F();
          },
          [](void* p) noexcept { static_cast<F*>(p)->~F(); }};
      return &t;
    }
    else
    {
      static constexpr vtable t{
          [](void* p, A&&... a) -> R { return (**static_cast<F**>(p))(std::forward<A>(a)...); },
          [](void* d, void* s) noexcept { *static_cast<F**>(d) = *static_cast<F**>(s); },
          [](void* p) noexcept { delete *static_cast<F**>(p); }};
      return &t;
    }
  }

public:
  unique_callback() noexcept = default;

  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, unique_callback>>>
  unique_callback(F&& f) // NOLINT: implicit, like std::function
  {
    using D = std::decay_t<F>;
    if constexpr (inline_v<D>)
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
    else
      *reinterpret_cast<D**>(buf_) = new D(std::forward<F>(f));
    vt_ = table_for<D>();
  }

  unique_callback(unique_callback&& o) noexcept : vt_(o.vt_)
  {
    if (vt_)
      vt_->move(buf_, o.buf_);
    o.vt_ = nullptr;
  }

  unique_callback& operator=(unique_callback&& o) noexcept
  {
    if (this != &o)
    {
      reset();
      vt_ = o.vt_;
      if (vt_)
        vt_->move(buf_, o.buf_);
      o.vt_ = nullptr;
    }
    return *this;
  }

  ~unique_callback() { reset(); }

  explicit operator bool() const noexcept { return vt_ != nullptr; }

  void reset() noexcept
  {
    if (vt_)
    {
      vt_->destroy(buf_);
      vt_ = nullptr;
    }
  }

  // Calls once and empties *this first, so the callable may replace it.
  R operator()(A... a)
  {
    unique_callback self(std::move(*this));
    return self.vt_->call(self.buf_, std::forward<A>(a)...);
  }

private:
  alignas(std::max_align_t) unsigned char buf_[capacity];
  const vtable* vt_ = nullptr;
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_UNIQUE_CALLBACK_HPP
