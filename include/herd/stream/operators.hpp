//
// herd/stream/operators.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_STREAM_OPERATORS_HPP
#define HERD_STREAM_OPERATORS_HPP

// Every stream operator, one family a header: stream/transform.hpp (filter,
// take, skip, enumerate), stream/map.hpp (map), stream/combine.hpp (merge,
// zip, chain, buffer), stream/timed.hpp (batch, throttle, timeout). A new
// operator goes into its family's header, as a detail::adapter_node or
// unary_node (detail/stream_adapter.hpp) made pipeable by
// streams::detail::make_op.
#include <herd/stream/combine.hpp>
#include <herd/stream/map.hpp>
#include <herd/stream/timed.hpp>
#include <herd/stream/transform.hpp>

#endif // HERD_STREAM_OPERATORS_HPP
