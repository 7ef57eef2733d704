// Terminal text: pure byte functions for output recorded on a terminal (issue 7): strip
// ECMA-48 escape sequences, and collapse lines rewritten with a bare '\r' (progress bars) to
// what a terminal shows at the end. Bytes stay bytes: no UTF-8 assumption, and the 8-bit C1
// controls (0x80-0x9f, e.g. 0x9b CSI) are never interpreted, because in UTF-8 text they are
// continuation bytes.
#pragma once

#include <string>
#include <string_view>

namespace ctreplay {

// Removes every 7-bit escape sequence; all other bytes are kept exactly, in order:
//   CSI          ESC [ params(0x30-0x3f)* intermediates(0x20-0x2f)* final(0x40-0x7e)
//   OSC          ESC ] ... ended by BEL or ST (ESC \)
//   DCS/SOS/PM/APC  ESC P / ESC X / ESC ^ / ESC _ ... ended by ST (ESC \)
//   nF           ESC intermediates(0x20-0x2f)+ final(0x30-0x7e), e.g. ESC ( B, ESC # 8
//   two bytes    ESC + one byte in 0x30-0x7e, e.g. ESC 7, ESC =, ESC M, ESC c
// A string (OSC, DCS, ...) also ends at an ESC that does not start ST; that ESC begins the
// next sequence (as in xterm). A malformed CSI/nF (a byte out of range before the final byte)
// loses its ESC and the bytes read so far; the offending byte is kept. ESC followed by a
// control or a byte >= 0x7f loses only the ESC. A sequence cut off at the end is removed.
std::string strip_ansi(std::string_view bytes);

// Each line (ended by "\n"; "\r\n" is a line end, not a rewrite) reduced to what a terminal
// shows after its bare '\r' rewrites: text after a bare '\r' overwrites from column 0, so
// "10%\r20%\r100%\n" -> "100%\n" and "abcdef\rXY\n" -> "XYcdef\n". Line ends are kept as
// they were; a trailing line without "\n" is handled the same way ("50%\r" -> "50%").
// Lines without a bare '\r' are copied unchanged, byte for byte. In a rewritten line:
//  - one column per byte, except that a UTF-8 lead byte and its continuation bytes are one
//    column (wide characters and combining marks are not measured); tabs, NUL, backspace and
//    other controls are one column each (not interpreted);
//  - escape sequences (as strip_ansi recognises them) take no column: each is attached to the
//    character printed after it and is overwritten together with that character; those
//    after the last character before a '\r' are dropped (they belonged to the frame being
//    overwritten), those before the line end are kept;
//  - erase-in-line is applied and then dropped: ESC[K / ESC[0K cut the line at the cursor,
//    ESC[1K blanks columns 0..cursor with spaces, ESC[2K blanks the columns before the
//    cursor and cuts the rest. No other cursor movement is interpreted.
std::string collapse_carriage_returns(std::string_view bytes);

}  // namespace ctreplay
