#!/bin/sh
# Runs a program of the sanitizer pass (target asan_pass) with its arguments; when asan_pass
# has not built it, says so and exits 77, which CTest counts as skipped, not failed.
[ -x "$1" ] || { echo "not built: cmake --build build/<preset> --target asan_pass"; exit 77; }
exec "$@"
