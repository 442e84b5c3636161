//
// herd/stream.hpp
// ~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_STREAM_HPP
#define HERD_STREAM_HPP

// Streams: herd::stream<T> and stream_sink<T> (stream/core.hpp), the sources
// (stream/sources.hpp), the operators (stream/operators.hpp), the sinks
// (stream/sinks.hpp) and herd::blocking (stream/blocking.hpp).
#include <herd/stream/blocking.hpp>
#include <herd/stream/core.hpp>
#include <herd/stream/operators.hpp>
#include <herd/stream/sinks.hpp>
#include <herd/stream/sources.hpp>

#endif // HERD_STREAM_HPP
