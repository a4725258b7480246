// Compiles the shared precompiled header (see CMakeLists.txt); nothing else.
