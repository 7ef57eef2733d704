// Marks the functions libctrecord_order.so interposes (everything else in it is hidden).
#pragma once

#define CTR_SHIM_EXPORT extern "C" __attribute__((visibility("default")))
