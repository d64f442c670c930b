// Catch2 v2 entry point for the native unit tests (kept apart so test files compile fast).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
