// Asio's compiled parts, built once for the whole library (BOOST_ASIO_SEPARATE_COMPILATION is
// in zio_dep's compile_args, so every user of zio sees the same setting: ODR).
#include <boost/asio/impl/src.hpp>
