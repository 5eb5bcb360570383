// The result of a parser: a typed view, or the named reason the input was dropped.
// (g++ 12 has no std::expected; this is the small subset we need.)
#pragma once

#include <cassert>
#include <optional>
#include <utility>

#include "wire/drop_reason.h"

namespace shipworm::wire {

template <class T>
class Parsed {
 public:
  Parsed(T value) : value_(std::move(value)) {}   // NOLINT(google-explicit-constructor)
  Parsed(DropReason reason) : reason_(reason) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] DropReason reason() const {
    assert(!ok());
    return reason_;
  }
  const T& operator*() const {
    assert(ok());
    return *value_;
  }
  const T* operator->() const {
    assert(ok());
    return &*value_;
  }
  const T& value() const { return **this; }

 private:
  std::optional<T> value_;
  DropReason reason_ = DropReason::kCount;
};

}  // namespace shipworm::wire
