#pragma once
/// zio::fs: files and path operations whose calls block only the calling fiber.
#include <zio/fs/file.hpp>
#include <zio/fs/operations.hpp>
