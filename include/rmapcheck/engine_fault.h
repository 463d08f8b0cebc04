// engine_fault.h - the exception an engine throws when going on is meaningless.
//
// Contract: thrown only for an internal inconsistency that an engine detects
// in its own structures (the impl's pools catching a use after free or a
// double free, the interval tree asked to link a linked node or to unlink
// an unlinked one), never for a bad Op. The message names the object and the
// operation. Drivers report it like an invariant violation (engine.h).
//
// It has a header of its own so that the generic pieces of impl/ (the pool,
// the interval tree) can throw it without depending on the Engine interface.
#pragma once

#include <stdexcept>

namespace rmapcheck {

class EngineFault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rmapcheck
