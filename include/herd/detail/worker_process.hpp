//
// herd/detail/worker_process.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_WORKER_PROCESS_HPP
#define HERD_DETAIL_WORKER_PROCESS_HPP

#include <herd/config.hpp>
#include <herd/detail/worker_registry.hpp>
#include <herd/worker_errors.hpp>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

// process-mode workers: the object lives in a forked child; each call is a
// request (method index + serialized arguments) over a Unix socket pair and
// a reply (status + serialized result or error text). Serialization is
// Boost.Serialization's binary archive (no header), so arguments and
// results are any type it serializes (with its headers for std::string,
// std::vector, std::map and std::pair included here), default-constructible.

namespace herd {
namespace detail {

inline constexpr int archive_flags = boost::archive::no_header;

template <class Tuple>
std::string save_tuple(const Tuple& t)
{
  std::ostringstream os;
  {
    boost::archive::binary_oarchive oa(os, archive_flags);
    std::apply([&](const auto&... x) { (void)(oa << ... << x); }, t);
  }
  return std::move(os).str();
}

template <class Tuple>
Tuple load_tuple(const std::string& bytes)
{
  Tuple t;
  std::istringstream is(bytes);
  boost::archive::binary_iarchive ia(is, archive_flags);
  std::apply([&](auto&... x) { (void)(ia >> ... >> x); }, t);
  return t;
}

// The POSIX side, compiled in src/herd.cpp (impl/worker_process.ipp), so
// that no system header (<sys/wait.h> declares ::wait) enters user code.

// A frame: a 32-bit tag, a 32-bit length, the bytes; false on EOF or error.
HERD_DECL bool write_frame(int fd, std::uint32_t tag, const std::string& bytes);
HERD_DECL bool read_frame(int fd, std::uint32_t& tag, std::string& bytes);

inline constexpr std::uint32_t quit_tag = 0xffffffffu;
inline constexpr std::uint32_t reply_ok = 0, reply_error = 1;

struct child_handle
{
  int pid = -1;
  int fd = -1;
};

// Forks a child that runs serve(fd) on its end of a socket pair (with
// every other descriptor above stderr closed) and then _exits.
HERD_DECL child_handle spawn_child(void (*serve)(int fd, void* context), void* context);

// Asks the child to quit, closes the socket and reaps it.
HERD_DECL void quit_child(child_handle& c) noexcept;

// The child died during a call: reap it and throw worker_crash_error.
[[noreturn]] HERD_DECL void child_died(child_handle& c);

// Ends the child process without running the parent's exit handlers.
[[noreturn]] HERD_DECL void child_exit() noexcept;

// The child's side: serve requests until quit or EOF, then _exit.
template <class T>
[[noreturn]] void serve_requests(int fd, const std::function<void(std::optional<T>&)>& ctor)
{
  std::optional<T> object;
  std::string ctor_error;
  try
  {
    ctor(object);
  }
  catch (const std::exception& e)
  {
    ctor_error = std::string("herd::worker: the constructor threw in the worker process: ") + e.what();
  }
  catch (...)
  {
    ctor_error = "herd::worker: the constructor threw in the worker process";
  }
  constexpr auto& list = worker_methods<T>::list;
  constexpr std::size_t n = std::tuple_size_v<std::remove_cvref_t<decltype(list)>>;
  std::uint32_t tag = 0;
  std::string bytes;
  while (read_frame(fd, tag, bytes) && tag != quit_tag)
  {
    std::string reply;
    std::uint32_t status = reply_ok;
    try
    {
      if (!ctor_error.empty())
        throw std::runtime_error(ctor_error);
      bool known = false;
      [&]<std::size_t... I>(std::index_sequence<I...>)
      {
        (
            [&]
            {
              if (tag != I)
                return;
              known = true;
              constexpr auto m = std::get<I>(list);
              using traits = method_traits<std::remove_cvref_t<decltype(m)>>;
              auto args = load_tuple<typename traits::args>(bytes);
              if constexpr (std::is_void_v<typename traits::result>)
              {
                std::apply([&](auto&... a) { ((*object).*m)(a...); }, args);
                reply.clear();
              }
              else
              {
                std::decay_t<typename traits::result> r =
                    std::apply([&](auto&... a) { return ((*object).*m)(a...); }, args);
                reply = save_tuple(std::tie(r));
              }
            }(),
            ...);
      }(std::make_index_sequence<n>());
      if (!known)
        throw std::runtime_error("herd::worker: unknown method index");
    }
    catch (const std::exception& e)
    {
      status = reply_error;
      reply = e.what();
    }
    catch (...)
    {
      status = reply_error;
      reply = "herd::worker: a method threw a non-standard exception in the worker process";
    }
    if (!write_frame(fd, status, reply))
      break;
  }
  object.reset();
  child_exit();
}

// The parent's side of one child process.
template <class T>
struct process_support
{
  static constexpr bool included = true;
};

template <class T>
class process_child
{
public:
  explicit process_child(std::function<void(std::optional<T>&)> ctor) : ctor_(std::move(ctor)) {}
  process_child(const process_child&) = delete;
  process_child& operator=(const process_child&) = delete;
  ~process_child() { quit_child(child_); }

  // Forks the child now if none is running.
  void start()
  {
    if (child_.pid <= 0)
      child_ = spawn_child(&process_child::serve, this);
  }

  // Runs one request; returns the reply's bytes or throws (a method's
  // error, or the child's death, after which the next request restarts it).
  std::string request(std::uint32_t method, const std::string& args)
  {
    start();
    std::uint32_t status = 0;
    std::string reply;
    if (!write_frame(child_.fd, method, args) || !read_frame(child_.fd, status, reply))
      child_died(child_);
    if (status == reply_error)
      throw worker_remote_error(reply);
    return reply;
  }

private:
  static void serve(int fd, void* self) { serve_requests<T>(fd, static_cast<process_child*>(self)->ctor_); }

  std::function<void(std::optional<T>&)> ctor_;
  child_handle child_;
};

} // namespace detail
} // namespace herd

#if defined(HERD_HEADER_ONLY)
#include <herd/impl/worker_process.ipp>
#endif

#endif // HERD_DETAIL_WORKER_PROCESS_HPP
