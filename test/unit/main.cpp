// The unit test module: every test/unit/*.cpp adds its suites to it.
#define BOOST_TEST_MODULE herd
#include <boost/test/unit_test.hpp>
