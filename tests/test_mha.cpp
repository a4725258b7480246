// Multi-head attention module against PyTorch fixtures ([mha]).
#include "support.hpp"
