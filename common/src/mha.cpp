// Part II: multi-head attention (see mha.hpp). Implementation in progress.
#include "attention/mha.hpp"
