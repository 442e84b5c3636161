//
// herd/worker_process.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_WORKER_PROCESS_HPP
#define HERD_WORKER_PROCESS_HPP

// Process-mode workers (worker_mode::process): HERD_WORKER_METHODS and the
// machinery that runs a registered type's methods in a forked child, with
// arguments and results serialized by Boost.Serialization. Include it in
// every translation unit that registers a type or makes or calls a worker
// of a registered type; <herd/worker.hpp> alone (thread and inline modes)
// parses no Boost.Serialization header.

#include <herd/detail/worker_process.hpp>
#include <herd/worker.hpp>

#include <tuple>

/// Lists the methods of T that a process-mode herd::worker<T> may call:
/// `HERD_WORKER_METHODS(my_type, &my_type::fetch, &my_type::count)` at
/// namespace scope (outside any namespace), after T's definition.
#define HERD_WORKER_METHODS(T, ...)                                                                              \
  template <>                                                                                                    \
  struct herd::worker_methods<T>                                                                                 \
  {                                                                                                              \
    static constexpr auto list = std::make_tuple(__VA_ARGS__);                                                   \
  }

#endif // HERD_WORKER_PROCESS_HPP
