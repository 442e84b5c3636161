//
// herd/detail/wait_core.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_WAIT_CORE_HPP
#define HERD_DETAIL_WAIT_CORE_HPP

#include <herd/config.hpp>
#include <herd/detail/multi_wait.hpp>
#include <herd/error.hpp>
#include <herd/future.hpp>
#include <herd/progress.hpp>

#include <chrono>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace herd {
namespace detail {

template <class T>
struct is_herd_future : std::false_type
{
};
template <class T>
struct is_herd_future<future<T>> : std::true_type
{
};

// The arguments of the blocking variadic forms (wait, gather,
// gather_settled): herd futures, then optionally the options, last.
template <class Options, class... A>
constexpr bool futures_then_options() noexcept
{
  constexpr std::size_t n = sizeof...(A);
  if constexpr (n == 0)
    return true;
  else
  {
    constexpr bool future_at[] = {is_herd_future<std::remove_cvref_t<A>>::value...};
    for (std::size_t i = 0; i + 1 < n; ++i)
      if (!future_at[i])
        return false;
    using last = std::remove_cvref_t<std::tuple_element_t<n - 1, std::tuple<A...>>>;
    return future_at[n - 1] || std::is_same_v<last, Options>;
  }
}

// A named concept: g++ 12 cannot mangle a requires-expression in a signature.
template <class Options, class... A>
concept futures_then = futures_then_options<Options, A...>();

// Calls fn(options, futures...) with the trailing options of `a` (or
// Options{}) and the futures before them.
template <class Options, class Fn, class... A>
decltype(auto) with_trailing_options(Fn&& fn, const A&... a)
{
  constexpr std::size_t n = sizeof...(A);
  using last = std::remove_cvref_t<std::tuple_element_t<n - 1, std::tuple<A...>>>;
  if constexpr (std::is_same_v<last, Options>)
  {
    auto t = std::forward_as_tuple(a...);
    return [&]<std::size_t... I>(std::index_sequence<I...>) -> decltype(auto)
    { return fn(std::get<n - 1>(t), std::get<I>(t)...); }(std::make_index_sequence<n - 1>());
  }
  else
    return fn(Options{}, a...);
}

template <class R>
using range_element_t = std::remove_cvref_t<decltype(*std::begin(std::declval<R&>()))>;

// std::map, std::unordered_map and alike: keys are preserved.
template <class R>
concept map_like = requires {
  typename R::key_type;
  typename R::mapped_type;
};

// What gather makes of a map of futures: the same kind of map, from the keys
// to V (a std::unordered_map stays one, with its hash and equality); any
// other associative container gives a std::map.
template <class R, class V>
struct gathered_map
{
  using type = std::map<typename R::key_type, V>;
};

template <class K, class F, class C, class A, class V>
struct gathered_map<std::map<K, F, C, A>, V>
{
  using type = std::map<K, V, C>;
};

template <class K, class F, class H, class E, class A, class V>
struct gathered_map<std::unordered_map<K, F, H, E, A>, V>
{
  using type = std::unordered_map<K, V, H, E>;
};

template <class R, class V>
using gathered_map_t = typename gathered_map<std::remove_cvref_t<R>, V>::type;

template <class R, bool = map_like<R>>
struct range_future
{
  using type = range_element_t<R>;
};
template <class R>
struct range_future<R, true>
{
  using type = typename R::mapped_type;
};

template <class R>
concept herd_future_range = requires(R& r) {
  std::begin(r);
  std::end(r);
} && is_herd_future<typename range_future<R>::type>::value;

template <herd_future_range R>
using range_future_t = typename range_future<R>::type;

template <herd_future_range R>
using range_value_t = typename range_future_t<R>::value_type;

// The key of an element: the map key, or the position.
template <class R, bool = map_like<R>>
struct range_key
{
  using type = std::size_t;
};
template <class R>
struct range_key<R, true>
{
  using type = typename R::key_type;
};
template <herd_future_range R>
using range_key_t = typename range_key<R>::type;

template <class E>
const auto& future_of(const E& e)
{
  if constexpr (is_herd_future<E>::value)
    return e;
  else
    return e.second;
}

template <herd_future_range R>
std::vector<state_base*> states_of(const R& fs)
{
  std::vector<state_base*> states;
  if constexpr (requires { fs.size(); })
    states.reserve(fs.size());
  for (const auto& e : fs)
    states.push_back(&future_access::mutable_state(future_of(e)));
  return states;
}

// Copies of the futures of a range (the mapped futures of a map).
template <herd_future_range R>
std::vector<range_future_t<R>> futures_of(const R& fs)
{
  std::vector<range_future_t<R>> v;
  for (const auto& e : fs)
    v.push_back(future_of(e));
  return v;
}

// The inputs' keys (indices, or a map's keys) and futures, in input order.
template <class R>
std::pair<std::vector<range_key_t<R>>, std::vector<range_future_t<R>>> keyed_futures(const R& fs)
{
  std::pair<std::vector<range_key_t<R>>, std::vector<range_future_t<R>>> out;
  std::size_t i = 0;
  for (const auto& e : fs)
  {
    if constexpr (map_like<R>)
      out.first.push_back(e.first);
    else
      out.first.push_back(i++);
    out.second.push_back(future_of(e));
  }
  return out;
}

using deadline_t = std::optional<blocking_deadline>;

// What a blocking wait that timed out throws: "herd::wait: timed out, 2 (of 4)
// futures unfinished".
inline timeout_error unfinished_timeout(const char* call, std::size_t unfinished, std::size_t total)
{
  return timeout_error(std::string(call) + ": timed out, " + std::to_string(unfinished) + " (of " +
                       std::to_string(total) + ") " + (unfinished == 1 ? "future" : "futures") + " unfinished");
}

// The deadline `timeout` from now on the clock `c`; none without a timeout.
inline deadline_t deadline_after(const std::optional<duration>& timeout, herd::clock& c)
{
  if (!timeout)
    return std::nullopt;
  return blocking_deadline{&c, saturating_add(c.now(), *timeout)};
}

// The clock of a blocking wait's timeout: `chosen` if given, else the clock
// of the executor that runs the first unfinished input, else the system clock.
inline herd::clock& blocking_clock(herd::clock* chosen, const multi_wait& mw)
{
  if (chosen)
    return *chosen;
  for (std::size_t i = 0; i < mw.size(); ++i)
    if (const state_base& s = mw.state(i); !s.done() && s.owner())
      if (herd::clock* c = s.owner()->clock_of_tasks())
        return *c;
  return system_clock();
}

inline deadline_t deadline_after(const std::optional<duration>& timeout, herd::clock* chosen, const multi_wait& mw)
{
  if (!timeout)
    return std::nullopt;
  return deadline_after(timeout, blocking_clock(chosen, mw));
}

// A deadline for inputs that know no clock (polled std:: futures).
inline deadline_t deadline_after(const std::optional<duration>& timeout, herd::clock* chosen)
{
  return deadline_after(timeout, chosen ? *chosen : system_clock());
}

inline bool failed_or_cancelled(const state_base& s) noexcept
{
  const task_state t = s.state();
  return t == task_state::failed || t == task_state::cancelled;
}

// Blocks on the states until `stop(mw, settled_count)` says so. Reports
// progress after each batch. Throws timeout_error at the deadline. Before
// blocking without a deadline, refuses waits that could deadlock.
template <class Stop>
std::size_t wait_states(multi_wait& mw, const deadline_t& deadline, progress_reporter& progress, const char* call,
                        Stop stop)
{
  if (!deadline)
    mw.check_deadlock(call);
  std::size_t count = mw.settled_count();
  for (;;)
  {
    progress.update(count);
    if (stop(count))
    {
      progress.finish(count);
      return count;
    }
    const std::size_t now_settled = mw.wait_more(count, deadline);
    if (now_settled == count)
    {
      progress.finish(count);
      throw unfinished_timeout(call, mw.size() - count, mw.size());
    }
    count = now_settled;
  }
}

// Walks the inputs of a multi_wait in the order they settle.
class completion_cursor
{
public:
  // The timeout (on the clock given, see blocking_clock) runs from here.
  completion_cursor(std::vector<state_base*> states, const std::optional<duration>& timeout, herd::clock* c)
    : mw_(std::move(states)), deadline_(deadline_after(timeout, c, mw_))
  {
  }

  // Blocks for the next input to settle and returns its index; nullopt
  // past the last. Throws timeout_error (naming `call`) at the deadline.
  std::optional<std::size_t> next(const char* call)
  {
    if (next_ >= mw_.size())
      return std::nullopt;
    if (!deadline_)
      mw_.check_deadlock(call);
    if (mw_.wait_more(next_, deadline_) == next_)
      throw unfinished_timeout(call, mw_.size() - next_, mw_.size());
    return mw_.settled_at(next_++);
  }

  std::size_t consumed() const noexcept { return next_; }
  multi_wait& waits() noexcept { return mw_; }

private:
  multi_wait mw_;
  deadline_t deadline_;
  std::size_t next_ = 0;
};

// begin()/end() of a view that fills its first item on the first begin().
template <class View>
class completion_range
{
public:
  auto begin()
  {
    View& v = static_cast<View&>(*this);
    if (!started_)
    {
      started_ = true;
      v.advance();
    }
    return typename View::iterator(&v);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

private:
  bool started_ = false;
};

// The input iterator of a view whose `current_` (an optional) holds the
// item at hand and whose advance() moves to the next; empty at the end.
template <class View, class Value>
class completion_iterator
{
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = std::remove_const_t<Value>;
  using difference_type = std::ptrdiff_t;
  using pointer = Value*;
  using reference = Value&;

  completion_iterator() = default;
  explicit completion_iterator(View* v) noexcept : view_(v) {}

  reference operator*() const { return *view_->current_; }
  pointer operator->() const { return &*view_->current_; }
  completion_iterator& operator++()
  {
    view_->advance();
    return *this;
  }
  void operator++(int) { ++*this; }
  friend bool operator==(const completion_iterator& it, std::default_sentinel_t) { return it.at_end(); }

private:
  bool at_end() const { return !view_->current_; }
  View* view_ = nullptr;
};

// Cancels every input that has not finished.
inline void cancel_unfinished(multi_wait& mw) noexcept
{
  for (std::size_t i = 0; i < mw.size(); ++i)
    if (!mw.state(i).done())
      mw.state(i).cancel();
}

template <class T>
T value_copy(const future<T>& f)
{
  static_assert(std::is_copy_constructible_v<T>,
                "herd::gather copies each value out of its (shared) future: T must be copyable; "
                "read move-only results through future::get() instead");
  return f.get();
}

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_WAIT_CORE_HPP
