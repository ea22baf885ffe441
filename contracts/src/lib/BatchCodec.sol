// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BatchCodec
/// @notice Decodes batch data (what `Rollup.submitBatch` receives as `data`) into the batch's
///         canonical SSZ bytes, `List[SequencedOp, 100000]`, so a dispute can read operation
///         `i` from L1 data alone. The TypeScript twin is `sequencer/codec/compress.ts`; the
///         format, byte by byte, and its measured size and gas are in `docs/codec.md`.
/// @dev    data = version 0x01 ‖ varint(n) ‖ n × (varint(zigzag(Δtimestamp)) ‖ selector ‖ fields)
///         Fields are coded per selector by `SCHEMA` (one code byte per field):
///           0x80|w raw w bytes · 0x00|w varint uint · 0x20|w decimal m·10^e (varint m·B+e,
///           B = 20 for 8 bytes, 40 for 16) · 0x48 time (0, or 1 + zigzag(v − timestamp)) ·
///           0x68 zigzag int64. Every value is written as w little-endian bytes.
///         OracleUpdate (selector 10) has its `timestamp` field, then count ‖ count × (kind raw1,
///         id uint2, price decimal8) ‖ count ‖ count × 65-byte signature.
///         The decoder accepts exactly the canonical encoding and reverts with
///         `BatchDataError(code, offset, opIndex)` otherwise, the same triple the TypeScript
///         decoder throws (the fixtures check both), so L1 and every verifier agree on which
///         data is a batch and which is not.
///         Memory: input bytes past `data`'s end may be read (never beyond what the library
///         allocated after it), and writes run up to 31 bytes past the current output end;
///         both are overwritten or cut off by the final length, so the result never depends on
///         them.
library BatchCodec {
    /// @notice Batch data that does not decode: `code` as below, `offset` the start of the
    ///         faulty item in `data`, `opIndex` the operation being decoded (0 while reading the
    ///         version and count, n for bytes after the last operation).
    error BatchDataError(uint256 code, uint256 offset, uint256 opIndex);

    uint256 internal constant BAD_VERSION = 1;
    uint256 internal constant TRUNCATED = 2;
    uint256 internal constant VARINT_TOO_LONG = 3;
    uint256 internal constant VARINT_NOT_MINIMAL = 4;
    uint256 internal constant TOO_MANY_OPS = 5;
    uint256 internal constant BAD_SELECTOR = 6;
    uint256 internal constant OUT_OF_RANGE = 7;
    uint256 internal constant NOT_CANONICAL = 8;
    uint256 internal constant LIST_TOO_LONG = 9;
    uint256 internal constant TRAILING_BYTES = 10;

    uint256 internal constant VERSION = 1;
    /// @notice Most operations per batch: the SSZ list limit, Governance's top `maxBatchSize`.
    uint256 internal constant MAX_OPS = 100_000;
    /// @notice Fewest data bytes per operation (a FundingTick): bounds `n` by the data's length
    ///         before any output memory is touched.
    uint256 internal constant MIN_OP_BYTES = 4;
    uint256 internal constant ORACLE_SELECTOR = 10;
    uint256 internal constant SELECTORS = 19;

    /// @notice Field codes per selector, 16 bytes each, zero-terminated. GENERATED from
    ///         `schemaTable()` in sequencer/codec/schema.ts; the forge test compares it with the
    ///         fixture written by contracts/script/gen-batch-fixtures.ts.
    bytes internal constant SCHEMA = hex"08049481300000000000000000000000" // 0 Deposit
        hex"080202a0000000000000000000000000" // 1 ParamUpdate
        hex"04488130c10000000000000000000000" // 2 Withdraw
        hex"0448048130c100000000000000000000" // 3 Transfer
        hex"04489448c10000000000000000000000" // 4 GrantSessionKey
        hex"044894c1000000000000000000000000" // 5 RevokeSessionKey
        hex"0448028128284808c100000000000000" // 6 PlaceOrder
        hex"04488108c10000000000000000000000" // 7 CancelOrder
        hex"044802c1000000000000000000000000" // 8 CancelAll
        hex"04810481282800000000000000000000" // 9 Fill
        hex"48000000000000000000000000000000" // 10 OracleUpdate (lists follow)
        hex"04480281c10000000000000000000000" // 11 SetMarginMode
        hex"04480268c10000000000000000000000" // 12 AdjustIsolatedMargin
        hex"04480402c10000000000000000000000" // 13 Liquidate
        hex"04020428000000000000000000000000" // 14 Deleverage
        hex"02680000000000000000000000000000" // 15 FundingTick
        hex"044881c1000000000000000000000000" // 16 SetPortfolioMargin
        hex"08048130000000000000000000000000" // 17 ForcedWithdraw
        hex"08040200000000000000000000000000"; // 18 ForcedClose

    /// @notice Decodes batch data into canonical batch bytes; reverts `BatchDataError`.
    /// @param data The batch data.
    /// @return out `List[SequencedOp]` SSZ bytes: n u32 offsets, then the n elements.
    function decode(bytes memory data) internal pure returns (bytes memory out) {
        bytes memory schema = SCHEMA;
        /// @solidity memory-safe-assembly
        assembly {
            // PERF: the legacy code generator does not inline assembly functions, and a call
            // costs as much as a small field; the common paths (one-byte varints, uints,
            // raw copies, values below 2^64) are written out inside `fields`, and functions
            // are called only for the rarer work (long varints, decimals, times, u128s).

            // Scratch words 0x00 (data start) and 0x20 (current op index) feed `fail`, which
            // keeps them off the stack of every helper.
            function fail(code, at) {
                let off := sub(at, mload(0x00))
                let i := mload(0x20)
                mstore(0x00, 0x7b1de550) // BatchDataError(uint256,uint256,uint256)
                mstore(0x20, code)
                mstore(0x40, off)
                mstore(0x60, i)
                revert(0x1c, 0x64)
            }

            // Unsigned LEB128 at `ip`: at most 20 bytes, minimal, inside `end`.
            function varint(ip, end) -> x, nip {
                let start := ip
                let b := 0x80
                for { let shift := 0 } gt(b, 0x7f) { shift := add(shift, 7) } {
                    if eq(shift, 140) { fail(3, start) }
                    if iszero(lt(ip, end)) { fail(2, start) }
                    b := byte(0, mload(ip))
                    ip := add(ip, 1)
                    x := or(x, shl(shift, and(b, 0x7f)))
                }
                // A last byte of zero after others adds nothing: not the minimal encoding.
                if and(iszero(b), gt(sub(ip, start), 1)) { fail(4, start) }
                nip := ip
            }

            // v (< 2^64) as 8 little-endian bytes at the top of a word, zeros below.
            function le64(v) -> r {
                v := or(shl(8, and(v, 0x00ff00ff00ff00ff)), and(shr(8, v), 0x00ff00ff00ff00ff))
                v := or(shl(16, and(v, 0x0000ffff0000ffff)), and(shr(16, v), 0x0000ffff0000ffff))
                r := shl(192, or(shl(32, and(v, 0xffffffff)), shr(32, v)))
            }

            // v (< 2^128) as 16 little-endian bytes at the top of a word, zeros below.
            function le128(v) -> r {
                r := or(le64(and(v, 0xffffffffffffffff)), shr(64, le64(shr(64, v))))
            }

            // Decimal m·10^e from x = m·B + e; canonical: zero is x = 0, else m has no
            // trailing zero (which also keeps e within the field's range).
            function decimal(x, w, start) -> v {
                let base := 20
                let maxE := 19
                if eq(w, 16) {
                    base := 40
                    maxE := 38
                }
                let e := mod(x, base)
                let m := div(x, base)
                switch m
                case 0 { if e { fail(8, start) } }
                default {
                    if iszero(mod(m, 10)) { fail(8, start) }
                    // m < 2^128 and 10^e <= 10^38 < 2^127: the product cannot wrap.
                    if or(shr(shl(3, w), m), gt(e, maxE)) { fail(7, start) }
                    v := mul(m, exp(10, e))
                    if shr(shl(3, w), v) { fail(7, start) }
                }
            }

            // Time from x >= 2: ts + zigzag⁻¹(x − 1), in [1, 2^64). zigzag⁻¹(y) = y/2 for even
            // y and −(y+1)/2 for odd y, i.e. (y >> 1) − (y & 1)·y; a negative sum wraps past
            // 2^64 and fails the same range check.
            function time(x, ts, start) -> v {
                let y := sub(x, 1)
                v := sub(add(ts, shr(1, y)), mul(and(y, 1), y))
                if shr(64, v) { fail(7, start) }
                if iszero(v) { fail(8, start) }
            }

            // The fields coded by `sch` (codes from its top byte down to a zero byte), read at
            // ip and written at op; `lets` is le64(ts). Returns the advanced pointers.
            function fields(sch, ip, op, end, ts, lets) -> nip, nop {
                for {} 1 {} {
                    let code := byte(0, sch)
                    if iszero(code) { break }
                    sch := shl(8, sch)
                    if iszero(lt(ip, end)) { fail(2, ip) }
                    let x := byte(0, mload(ip))
                    if lt(code, 0x20) {
                        // uint: code = width (2, 4 or 8)
                        if lt(x, 0x80) {
                            mstore(op, shl(248, x))
                            ip := add(ip, 1)
                            op := add(op, code)
                            continue
                        }
                        let start := ip
                        x, ip := varint(ip, end)
                        if shr(shl(3, code), x) { fail(7, start) }
                        mstore(op, le64(x))
                        op := add(op, code)
                        continue
                    }
                    if gt(code, 0x7f) {
                        // raw: copy whole words; what spills past w is overwritten later
                        let w := and(code, 0x7f)
                        if gt(add(ip, w), end) { fail(2, ip) }
                        mstore(op, mload(ip))
                        if gt(w, 32) {
                            mstore(add(op, 32), mload(add(ip, 32)))
                            if gt(w, 64) { mstore(add(op, 64), mload(add(ip, 64))) }
                        }
                        ip := add(ip, w)
                        op := add(op, w)
                        continue
                    }
                    let start := ip
                    ip := add(ip, 1)
                    if gt(x, 0x7f) { x, ip := varint(start, end) }
                    let w := and(code, 0x1f)
                    switch shr(5, code)
                    case 2 {
                        // time (8 bytes); x = 1 is the operation's own timestamp
                        switch x
                        case 0 { mstore(op, 0) }
                        case 1 {
                            if iszero(ts) { fail(8, start) }
                            mstore(op, lets)
                        }
                        default { mstore(op, le64(time(x, ts, start))) }
                    }
                    case 1 {
                        let v := decimal(x, w, start)
                        switch w
                        case 8 { mstore(op, le64(v)) }
                        default { mstore(op, le128(v)) }
                    }
                    default {
                        // signed: zigzag int64 -> two's complement u64
                        if shr(64, x) { fail(7, start) }
                        mstore(op, le64(and(xor(shr(1, x), sub(0, and(x, 1))), 0xffffffffffffffff)))
                    }
                    op := add(op, w)
                }
                nip := ip
                nop := op
            }

            let ip := add(data, 0x20)
            let end := add(ip, mload(data))
            mstore(0x00, ip)
            mstore(0x20, 0)
            if iszero(lt(ip, end)) { fail(2, ip) }
            if iszero(eq(byte(0, mload(ip)), 1)) { fail(1, ip) }
            ip := add(ip, 1)
            let n
            {
                let countAt := ip
                n, ip := varint(ip, end)
                if or(gt(n, 100000), gt(mul(n, 4), sub(end, ip))) { fail(5, countAt) }
            }

            out := mload(0x40)
            let tbl := add(out, 0x20)
            let op := add(tbl, shl(2, n))
            let sch0 := add(schema, 0x20)
            let ts := 0
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(0x20, i)
                // Offset i (u32 LE) in the table, byte by byte: a word store would clobber
                // the table's tail, or the start of element 0.
                {
                    let o := sub(op, tbl)
                    let t := add(tbl, shl(2, i))
                    mstore8(t, o)
                    mstore8(add(t, 1), shr(8, o))
                    mstore8(add(t, 2), shr(16, o))
                    mstore8(add(t, 3), shr(24, o))
                }
                {
                    // Δtimestamp: zigzag, applied branch-free (see `time`); a result below
                    // zero wraps past 2^64 and fails the range check.
                    let tsAt := ip
                    if iszero(lt(ip, end)) { fail(2, ip) }
                    let x := byte(0, mload(ip))
                    ip := add(ip, 1)
                    if gt(x, 0x7f) { x, ip := varint(tsAt, end) }
                    ts := sub(add(ts, shr(1, x)), mul(and(x, 1), x))
                    if shr(64, ts) { fail(7, tsAt) }
                }
                if iszero(lt(ip, end)) { fail(2, ip) }
                let sel := byte(0, mload(ip))
                if iszero(lt(sel, 19)) { fail(6, ip) }
                ip := add(ip, 1)
                // timestamp (8) ‖ union offset 12 (u32) ‖ selector
                let lets := le64(ts)
                mstore(op, or(lets, or(shl(184, 0x0c), shl(152, sel))))
                ip, op := fields(mload(add(sch0, shl(4, sel))), ip, add(op, 13), end, ts, lets)
                if eq(sel, 10) {
                    if iszero(lt(ip, end)) { fail(2, ip) }
                    let points := byte(0, mload(ip))
                    if gt(points, 68) { fail(9, ip) }
                    ip := add(ip, 1)
                    // offset(prices) = 16, offset(signatures) = 16 + 11·points (< 2^16), as u32 LE
                    let sigAt := add(16, mul(11, points))
                    mstore(op, or(shl(248, 16), or(shl(216, and(sigAt, 0xff)), shl(208, shr(8, sigAt)))))
                    op := add(op, 8)
                    // PricePoint: kind raw 1 (0x81), id uint 2 (0x02), price decimal 8 (0x28)
                    for {} points { points := sub(points, 1) } {
                        ip, op := fields(0x8102280000000000000000000000000000000000000000000000000000000000, ip, op, end, ts, lets)
                    }
                    if iszero(lt(ip, end)) { fail(2, ip) }
                    let sigs := byte(0, mload(ip))
                    if gt(sigs, 8) { fail(9, ip) }
                    ip := add(ip, 1)
                    for {} sigs { sigs := sub(sigs, 1) } {
                        ip, op := fields(0xc100000000000000000000000000000000000000000000000000000000000000, ip, op, end, ts, lets)
                    }
                }
            }
            mstore(0x20, n)
            if lt(ip, end) { fail(10, ip) }
            mstore(out, sub(op, tbl))
            mstore(op, 0) // clear what the last stores spilled past the end
            mstore(0x40, add(op, 0x20))
            mstore(0x20, 0)
            mstore(0x00, 0)
        }
    }

    /// @notice One-byte decimal codes that are canonical and in range: bit x is set iff the
    ///         single data byte x (< 0x80) decodes as a decimal of 8 bytes (`DEC8_ONE_BYTE`) or
    ///         16 bytes (`DEC16_ONE_BYTE`). x = m·B + e with m ≤ 6: zero only as x = 0, and
    ///         m·10^e must fit (e = 19 fits 8 bytes only for m = 1; e = 39 never fits 16).
    uint256 internal constant DEC8_ONE_BYTE = 0xff7ffff7ffff7ffff7fffffffff00001;
    uint256 internal constant DEC16_ONE_BYTE = 0xff7fffffffff7fffffffff0000000001;

    /// @notice Validates batch data and returns its operation count and operation `index`'s
    ///         SequencedOp bytes, without writing the batch: what a dispute's `loadOp` needs.
    ///         Accepts and refuses exactly the data `decode` does, with the same
    ///         `BatchDataError(code, offset, opIndex)`, and `opBytes` is `opAt(decode(data), index)`
    ///         (empty when `index >= n`).
    /// @dev    Three tiers, cheapest first (docs/codec.md §5):
    ///         1. Every operation but `index` is checked against its selector's *one-byte
    ///            layout* (every varint field one byte long): one word load, one mask test that
    ///            no varint byte has its continuation bit, then only the checks a one-byte value
    ///            can fail (decimals by a 128-bit table, times against the timestamp), and the
    ///            pointer moves by the layout's fixed length. No output is written.
    ///         2. An operation with a longer varint is checked field by field (`vfields`), still
    ///            without output or error reporting.
    ///         3. Operation `index`, and any operation tiers 1–2 flag (a bad value, or reads past
    ///            the data's end), go through `exactOp`: `decode`'s own per-operation code,
    ///            with output and exact errors. A flagged operation therefore reverts exactly
    ///            where `decode` would. Tiers 1–2 must accept nothing `decode` refuses and must
    ///            read what they accept as `decode` does; flagging valid data would cost gas only.
    ///         The per-selector layouts are derived from `SCHEMA` at the start of each call.
    function locate(bytes memory data, uint256 index) internal pure returns (uint256 n, bytes memory opBytes) {
        (n, opBytes,) = _walk(data, index, false);
    }

    /// @notice Validates batch data as `locate` does (exactly `decode`'s accept / refuse and
    ///         `BatchDataError`) and returns its operation count and every L1 input (selectors
    ///         0 Deposit, 1 ParamUpdate, 17 ForcedWithdraw, 18 ForcedClose) in batch order, without
    ///         writing the batch: what `proveDataFault`'s L1-input walk needs.
    /// @dev    `inputs` is one record per L1 input: its op index (u32, big-endian) ‖ its
    ///         SequencedOp bytes, `opAt(decode(data), opIndex)` (12-byte prefix ‖ `encodeOp`
    ///         bytes, 15 to 50 by selector: docs/contracts.md). The L1 inputs go through tier 3
    ///         (`decode`'s per-operation code, which writes their bytes), every other operation
    ///         through tiers 1–2 as in `locate` (tier 3 when flagged), so the cost stays near
    ///         `locate`'s on any data (sequencer/codec/gas.ts `l1InputsGasBound`).
    function locateL1Inputs(bytes memory data) internal pure returns (uint256 n, bytes memory inputs) {
        (n,, inputs) = _walk(data, type(uint256).max, true);
    }

    /// @notice `locate` (`collect` false: operation `index` located) or `locateL1Inputs`
    ///         (`collect` true: every L1 input recorded, `index` unused).
    function _walk(bytes memory data, uint256 index, bool collect)
        private
        pure
        returns (uint256 n, bytes memory opBytes, bytes memory inputs)
    {
        bytes memory schema = SCHEMA;
        /// @solidity memory-safe-assembly
        assembly {
            // ---- tier 3: decode's code, unchanged but for being one operation per call ----

            function fail(code, at) {
                let off := sub(at, mload(0x00))
                let i := mload(0x20)
                mstore(0x00, 0x7b1de550) // BatchDataError(uint256,uint256,uint256)
                mstore(0x20, code)
                mstore(0x40, off)
                mstore(0x60, i)
                revert(0x1c, 0x64)
            }

            function varint(ip, end) -> x, nip {
                let start := ip
                let b := 0x80
                for { let shift := 0 } gt(b, 0x7f) { shift := add(shift, 7) } {
                    if eq(shift, 140) { fail(3, start) }
                    if iszero(lt(ip, end)) { fail(2, start) }
                    b := byte(0, mload(ip))
                    ip := add(ip, 1)
                    x := or(x, shl(shift, and(b, 0x7f)))
                }
                if and(iszero(b), gt(sub(ip, start), 1)) { fail(4, start) }
                nip := ip
            }

            function le64(v) -> r {
                v := or(shl(8, and(v, 0x00ff00ff00ff00ff)), and(shr(8, v), 0x00ff00ff00ff00ff))
                v := or(shl(16, and(v, 0x0000ffff0000ffff)), and(shr(16, v), 0x0000ffff0000ffff))
                r := shl(192, or(shl(32, and(v, 0xffffffff)), shr(32, v)))
            }

            function le128(v) -> r {
                r := or(le64(and(v, 0xffffffffffffffff)), shr(64, le64(shr(64, v))))
            }

            function decimal(x, w, start) -> v {
                let base := 20
                let maxE := 19
                if eq(w, 16) {
                    base := 40
                    maxE := 38
                }
                let e := mod(x, base)
                let m := div(x, base)
                switch m
                case 0 { if e { fail(8, start) } }
                default {
                    if iszero(mod(m, 10)) { fail(8, start) }
                    if or(shr(shl(3, w), m), gt(e, maxE)) { fail(7, start) }
                    v := mul(m, exp(10, e))
                    if shr(shl(3, w), v) { fail(7, start) }
                }
            }

            function time(x, ts, start) -> v {
                let y := sub(x, 1)
                v := sub(add(ts, shr(1, y)), mul(and(y, 1), y))
                if shr(64, v) { fail(7, start) }
                if iszero(v) { fail(8, start) }
            }

            function fields(sch, ip, op, end, ts, lets) -> nip, nop {
                for {} 1 {} {
                    let code := byte(0, sch)
                    if iszero(code) { break }
                    sch := shl(8, sch)
                    if iszero(lt(ip, end)) { fail(2, ip) }
                    let x := byte(0, mload(ip))
                    if lt(code, 0x20) {
                        if lt(x, 0x80) {
                            mstore(op, shl(248, x))
                            ip := add(ip, 1)
                            op := add(op, code)
                            continue
                        }
                        let start := ip
                        x, ip := varint(ip, end)
                        if shr(shl(3, code), x) { fail(7, start) }
                        mstore(op, le64(x))
                        op := add(op, code)
                        continue
                    }
                    if gt(code, 0x7f) {
                        let w := and(code, 0x7f)
                        if gt(add(ip, w), end) { fail(2, ip) }
                        mstore(op, mload(ip))
                        if gt(w, 32) {
                            mstore(add(op, 32), mload(add(ip, 32)))
                            if gt(w, 64) { mstore(add(op, 64), mload(add(ip, 64))) }
                        }
                        ip := add(ip, w)
                        op := add(op, w)
                        continue
                    }
                    let start := ip
                    ip := add(ip, 1)
                    if gt(x, 0x7f) { x, ip := varint(start, end) }
                    let w := and(code, 0x1f)
                    switch shr(5, code)
                    case 2 {
                        switch x
                        case 0 { mstore(op, 0) }
                        case 1 {
                            if iszero(ts) { fail(8, start) }
                            mstore(op, lets)
                        }
                        default { mstore(op, le64(time(x, ts, start))) }
                    }
                    case 1 {
                        let v := decimal(x, w, start)
                        switch w
                        case 8 { mstore(op, le64(v)) }
                        default { mstore(op, le128(v)) }
                    }
                    default {
                        if shr(64, x) { fail(7, start) }
                        mstore(op, le64(and(xor(shr(1, x), sub(0, and(x, 1))), 0xffffffffffffffff)))
                    }
                    op := add(op, w)
                }
                nip := ip
                nop := op
            }

            // One operation at ip (timestamp delta, selector, fields, oracle lists) after the
            // timestamp ts, written at op as its SequencedOp bytes: `decode`'s loop body.
            // The caller has put the operation's index at 0x20 for `fail`.
            function exactOp(ip, end, ts, op, sch0) -> nip, nts, nop {
                {
                    let tsAt := ip
                    if iszero(lt(ip, end)) { fail(2, ip) }
                    let x := byte(0, mload(ip))
                    ip := add(ip, 1)
                    if gt(x, 0x7f) { x, ip := varint(tsAt, end) }
                    ts := sub(add(ts, shr(1, x)), mul(and(x, 1), x))
                    if shr(64, ts) { fail(7, tsAt) }
                }
                if iszero(lt(ip, end)) { fail(2, ip) }
                let sel := byte(0, mload(ip))
                if iszero(lt(sel, 19)) { fail(6, ip) }
                ip := add(ip, 1)
                let sch := mload(add(sch0, shl(4, sel)))
                let lets := le64(ts)
                mstore(op, or(lets, or(shl(184, 0x0c), shl(152, sel))))
                ip, op := fields(sch, ip, add(op, 13), end, ts, lets)
                if eq(sel, 10) {
                    if iszero(lt(ip, end)) { fail(2, ip) }
                    let points := byte(0, mload(ip))
                    if gt(points, 68) { fail(9, ip) }
                    ip := add(ip, 1)
                    let sigAt := add(16, mul(11, points))
                    mstore(op, or(shl(248, 16), or(shl(216, and(sigAt, 0xff)), shl(208, shr(8, sigAt)))))
                    op := add(op, 8)
                    for {} points { points := sub(points, 1) } {
                        ip, op := fields(0x8102280000000000000000000000000000000000000000000000000000000000, ip, op, end, ts, lets)
                    }
                    if iszero(lt(ip, end)) { fail(2, ip) }
                    let sigs := byte(0, mload(ip))
                    if gt(sigs, 8) { fail(9, ip) }
                    ip := add(ip, 1)
                    for {} sigs { sigs := sub(sigs, 1) } {
                        ip, op := fields(0xc100000000000000000000000000000000000000000000000000000000000000, ip, op, end, ts, lets)
                    }
                }
                nip := ip
                nts := ts
                nop := op
            }

            // ---- tiers 1 and 2: validity only ----
            // They read past the data's end without checking (a read is only ever ahead of the
            // pointer, so an operation that did ends with ip > end and goes to tier 3), and
            // return `bad` != 0 for any value `decode` refuses.

            // Unsigned LEB128 at ip: bad unless at most 20 bytes and minimal. All 20 bytes it may
            // read are in the word at ip.
            function vint(ip) -> x, nip, bad {
                let w := mload(ip)
                let k := 0
                for {} 1 {} {
                    let b := byte(k, w)
                    x := or(x, shl(mul(7, k), and(b, 0x7f)))
                    k := add(k, 1)
                    if lt(b, 0x80) { break }
                    if eq(k, 20) {
                        bad := 1
                        break
                    }
                }
                // A last byte of zero after others adds nothing: not the minimal encoding.
                bad := or(bad, and(gt(k, 1), iszero(byte(sub(k, 1), w))))
                nip := add(ip, k)
            }

            // `decimal`'s checks: zero only as x = 0; else no trailing zero in m, m and e and
            // m·10^e in range.
            function decBad(x, w) -> bad {
                let base := 20
                let maxE := 19
                if eq(w, 16) {
                    base := 40
                    maxE := 38
                }
                let e := mod(x, base)
                let m := div(x, base)
                switch m
                case 0 { bad := e }
                default {
                    bad := or(iszero(mod(m, 10)), or(shr(shl(3, w), m), gt(e, maxE)))
                    if iszero(bad) { bad := shr(shl(3, w), mul(m, exp(10, e))) }
                }
            }

            // A time code x after timestamp ts: 0 is zero; else ts + zigzag⁻¹(x − 1) must be in
            // [1, 2^64) (x = 1 gives ts itself, so a zero timestamp fails as in `fields`).
            function timeBad(x, ts) -> bad {
                if x {
                    let y := sub(x, 1)
                    let v := sub(add(ts, shr(1, y)), mul(and(y, 1), y))
                    bad := or(shr(64, v), iszero(v))
                }
            }

            // Tier 2: the fields coded by `sch` (codes in its top bytes, zeros below), as
            // `fields` reads them, without output. Two- and three-byte varints, the cheapest ways
            // to leave tier 1, are read inline (minimal iff the last byte is not zero).
            function vfields(sch, ip, ts) -> nip, bad {
                for {} sch {} {
                    let code := shr(248, sch)
                    sch := shl(8, sch)
                    if shr(7, code) {
                        ip := add(ip, and(code, 0x7f))
                        continue
                    }
                    let w := mload(ip)
                    let x := byte(0, w)
                    if lt(x, 0x80) {
                        // One byte: fits every uint and signed field; decimals by their tables.
                        ip := add(ip, 1)
                        if gt(code, 0x20) {
                            switch code
                            case 0x28 { bad := or(bad, iszero(and(shr(x, DEC8_ONE_BYTE), 1))) }
                            case 0x30 { bad := or(bad, iszero(and(shr(x, DEC16_ONE_BYTE), 1))) }
                            case 0x48 { if x { bad := or(bad, timeBad(x, ts)) } }
                        }
                        continue
                    }
                    let hi := byte(1, w)
                    switch shr(7, hi)
                    case 0 {
                        bad := or(bad, iszero(hi))
                        x := or(and(x, 0x7f), shl(7, hi))
                        ip := add(ip, 2)
                    }
                    default {
                        let top := byte(2, w)
                        switch shr(7, top)
                        case 0 {
                            bad := or(bad, iszero(top))
                            x := or(or(and(x, 0x7f), shl(7, and(hi, 0x7f))), shl(14, top))
                            ip := add(ip, 3)
                        }
                        default {
                            let b
                            x, ip, b := vint(ip)
                            bad := or(bad, b)
                        }
                    }
                    switch shr(5, code)
                    case 0 { bad := or(bad, shr(shl(3, code), x)) } // uint: code is the width
                    case 1 { bad := or(bad, decBad(x, and(code, 0x1f))) }
                    case 2 { bad := or(bad, timeBad(x, ts)) }
                    default { bad := or(bad, shr(64, x)) } // signed
                }
                nip := ip
            }

            // Tiers 1 and 2 for one whole operation at ip after timestamp ts. `layouts` holds a
            // word per selector (built below): bytes 0..23 have 0x80 at each varint field's
            // offset in the one-byte layout, byte 24 is the layout's length, bytes 25, 26 the
            // offsets of up to two time fields, 27, 28 of two 8-byte decimals, 29 of a 16-byte
            // decimal (32 where there is none: `byte` then reads 0, which passes both checks),
            // byte 30 is 1 when there is a decimal at all.
            function checkOp(ip, ts, layouts, sch0) -> nip, nts, bad {
                let sel
                {
                    let w := mload(ip)
                    let x := byte(0, w)
                    switch shr(7, x)
                    case 0 {
                        sel := byte(1, w)
                        ip := add(ip, 2)
                    }
                    default {
                        let hi := byte(1, w)
                        switch shr(7, hi)
                        case 0 {
                            bad := iszero(hi)
                            x := or(and(x, 0x7f), shl(7, hi))
                            ip := add(ip, 2)
                        }
                        default { x, ip, bad := vint(ip) }
                        sel := byte(0, mload(ip))
                        ip := add(ip, 1)
                    }
                    ts := sub(add(ts, shr(1, x)), mul(and(x, 1), x))
                    bad := or(bad, shr(64, ts))
                }
                if iszero(lt(sel, 19)) {
                    nip := ip
                    nts := ts
                    bad := 1
                    leave
                }
                let e := mload(add(layouts, shl(5, sel)))
                let w := mload(ip)
                switch and(and(w, e), 0xffffffffffffffffffffffffffffffffffffffffffffffff0000000000000000)
                case 0 {
                    // Tier 1: every varint field is one byte.
                    let t := byte(byte(25, e), w)
                    if t { bad := or(bad, timeBad(t, ts)) }
                    t := byte(byte(26, e), w)
                    if t { bad := or(bad, timeBad(t, ts)) }
                    if byte(30, e) {
                        bad := or(
                            bad,
                            iszero(
                                and(
                                    and(shr(byte(byte(27, e), w), DEC8_ONE_BYTE), shr(byte(byte(28, e), w), DEC8_ONE_BYTE)),
                                    and(shr(byte(byte(29, e), w), DEC16_ONE_BYTE), 1)
                                )
                            )
                        )
                    }
                    ip := add(ip, byte(24, e))
                }
                default {
                    // the row's 16 code bytes only (the next row follows in memory)
                    let b := and(mload(add(sch0, shl(4, sel))), not(0xffffffffffffffffffffffffffffffff))
                    ip, b := vfields(b, ip, ts)
                    bad := or(bad, b)
                }
                if eq(sel, 10) {
                    // Price points (kind raw 1, id uint 2, price decimal 8), then signatures.
                    let points := byte(0, mload(ip))
                    ip := add(ip, 1)
                    if gt(points, 68) {
                        bad := 1
                        points := 0
                    }
                    for {} points { points := sub(points, 1) } {
                        let p := mload(ip)
                        let id := byte(1, p)
                        let price := byte(2, p)
                        switch shr(7, or(id, price))
                        case 0 {
                            bad := or(bad, iszero(and(shr(price, DEC8_ONE_BYTE), 1)))
                            ip := add(ip, 3)
                        }
                        default {
                            // The id (uint 2) in 1 to 3 bytes: a 2-byte varint is below 2^14;
                            // a 3-byte one fits iff its last byte is 1..3 (0 is not minimal,
                            // and a continuation bit makes 4+ bytes, ≥ 2^21: out of range).
                            switch shr(7, id)
                            case 0 { ip := add(ip, 2) }
                            default {
                                let id2 := byte(2, p)
                                switch shr(7, id2)
                                case 0 {
                                    bad := or(bad, iszero(id2))
                                    ip := add(ip, 3)
                                }
                                default {
                                    let id3 := byte(3, p)
                                    bad := or(bad, or(iszero(id3), gt(id3, 3)))
                                    ip := add(ip, 4)
                                }
                            }
                            // The price (decimal 8).
                            price := byte(0, mload(ip))
                            switch shr(7, price)
                            case 0 {
                                bad := or(bad, iszero(and(shr(price, DEC8_ONE_BYTE), 1)))
                                ip := add(ip, 1)
                            }
                            default {
                                let b
                                price, ip, b := vint(ip)
                                bad := or(bad, or(b, decBad(price, 8)))
                            }
                        }
                    }
                    let sigs := byte(0, mload(ip))
                    bad := or(bad, gt(sigs, 8))
                    ip := add(ip, add(1, mul(65, sigs)))
                }
                nip := ip
                nts := ts
            }

            // The one-byte layout word of the fields coded by `sch` (see `checkOp`).
            function layoutOf(sch) -> entry {
                let pos := 0
                let t1 := 32
                let t2 := 32
                let d8a := 32
                let d8b := 32
                let d16 := 32
                for {} 1 {} {
                    let code := byte(0, sch)
                    if iszero(code) { break }
                    sch := shl(8, sch)
                    if gt(code, 0x7f) {
                        pos := add(pos, and(code, 0x7f))
                        continue
                    }
                    // A varint past byte 23 would overlap the entry's other bytes: no SCHEMA
                    // has one (the latest is Deposit's amount at 23).
                    if gt(pos, 23) { revert(0, 0) }
                    entry := or(entry, shl(sub(248, shl(3, pos)), 0x80))
                    switch code
                    case 0x48 {
                        switch t1
                        case 32 { t1 := pos }
                        default { t2 := pos }
                    }
                    case 0x28 {
                        switch d8a
                        case 32 { d8a := pos }
                        default { d8b := pos }
                    }
                    case 0x30 { d16 := pos }
                    pos := add(pos, 1)
                }
                entry := or(entry, or(shl(56, pos), or(shl(48, t1), shl(40, t2))))
                entry := or(entry, or(shl(32, d8a), or(shl(24, d8b), shl(16, d16))))
                // byte 30: whether there is any decimal to check
                if lt(and(d8a, d16), 32) { entry := or(entry, 0x100) }
            }

            // Every operation: operation `wanted` through tier 3 into new memory (returned), the
            // others through tiers 1–2 (tier 3 when flagged). Returns the pointer past the last.
            function walk(ip, end, count, wanted, sch0, layouts) -> nip, located {
                located := 0x60
                let ts := 0
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    switch eq(i, wanted)
                    case 1 {
                        mstore(0x20, i)
                        located := mload(0x40)
                        let nop
                        ip, ts, nop := exactOp(ip, end, ts, add(located, 0x20), sch0)
                        mstore(located, sub(nop, add(located, 0x20)))
                        mstore(nop, 0) // what the last stores spilled past the end
                        mstore(0x40, and(add(nop, 0x3f), not(0x1f)))
                    }
                    default {
                        let next, nextTs, bad := checkOp(ip, ts, layouts, sch0)
                        if or(bad, gt(next, end)) {
                            // decode's verdict on this operation: it reverts where decode would
                            // (the output goes to free memory and is not kept).
                            mstore(0x20, i)
                            next, nextTs, bad := exactOp(ip, end, ts, mload(0x40), sch0)
                        }
                        ip := next
                        ts := nextTs
                    }
                }
                nip := ip
            }

            // ---- L1 inputs: checked and written in one pass ----

            // v (< 2^64) as little-endian bytes at the top of a word: `le64`, cheaper below 2^16.
            function leSmall(v) -> r {
                switch shr(16, v)
                case 0 { r := or(shl(248, and(v, 0xff)), shl(240, shr(8, v))) }
                default { r := le64(v) }
            }

            // Unsigned LEB128 at ip as `vint` reads it (bad unless minimal and at most 20 bytes),
            // one and two bytes inline.
            function rv(ip) -> x, nip, bad {
                let w := mload(ip)
                x := byte(0, w)
                if lt(x, 0x80) {
                    nip := add(ip, 1)
                    leave
                }
                let hi := byte(1, w)
                if lt(hi, 0x80) {
                    x := or(and(x, 0x7f), shl(7, hi))
                    bad := iszero(hi)
                    nip := add(ip, 2)
                    leave
                }
                x, nip, bad := vint(ip)
            }

            // The L1 input at ip (selector 0, 1, 17 or 18) after timestamp ts, checked and
            // written at op as its SequencedOp bytes in one pass, straight from SCHEMA's four
            // rows (Deposit: uint8 uint4 raw20 raw1 decimal16; ParamUpdate: uint8 uint2 uint2
            // raw32; ForcedWithdraw: uint8 uint4 raw1 decimal16; ForcedClose: uint8 uint4
            // uint2). The checks are `checkOp`'s (tiers 1–2: accept nothing `decode` refuses);
            // what it writes is what `exactOp` writes when it accepts. Returns nip = 0 when it
            // does not accept (a bad value, another selector, or a read past `end`): the caller
            // then runs `exactOp`. Else the pointers past the operation and past what it wrote
            // (12 + the item's `encodeOp` length; stores spill up to 31 bytes beyond), and the
            // operation's timestamp.
            function l1Op(ip, end, ts, op) -> nip, nts, nop {
                let x, bad
                x, ip, bad := rv(ip)
                ts := sub(add(ts, shr(1, x)), mul(and(x, 1), x))
                let sel := byte(0, mload(ip))
                bad := or(bad, or(shr(64, ts), iszero(and(shr(sel, 0x60003), 1))))
                ip := add(ip, 1)
                mstore(op, or(le64(ts), or(shl(184, 0x0c), shl(152, sel))))
                let b
                x, ip, b := rv(ip) // queue index, uint 8
                bad := or(bad, or(b, shr(64, x)))
                mstore(add(op, 13), leSmall(x))
                switch sel
                case 1 {
                    x, ip, b := rv(ip) // uint 2
                    bad := or(bad, or(b, shr(16, x)))
                    mstore(add(op, 21), leSmall(x))
                    x, ip, b := rv(ip) // uint 2
                    bad := or(bad, or(b, shr(16, x)))
                    mstore(add(op, 23), leSmall(x))
                    mstore(add(op, 25), mload(ip)) // raw 32
                    ip := add(ip, 32)
                    nop := add(op, 57)
                }
                default {
                    x, ip, b := rv(ip) // account, uint 4
                    bad := or(bad, or(b, shr(32, x)))
                    mstore(add(op, 21), leSmall(x))
                    op := add(op, 25)
                    switch sel
                    case 18 {
                        x, ip, b := rv(ip) // market, uint 2
                        bad := or(bad, or(b, shr(16, x)))
                        mstore(op, leSmall(x))
                        nop := add(op, 2)
                    }
                    default {
                        if iszero(sel) {
                            mstore(op, mload(ip)) // raw 20
                            ip := add(ip, 20)
                            op := add(op, 20)
                        }
                        mstore(op, mload(ip)) // raw 1
                        x, ip, b := rv(add(ip, 1)) // amount, decimal 16: x = m·40 + e
                        bad := or(bad, or(b, decBad(x, 16)))
                        if iszero(bad) {
                            x := mul(div(x, 40), exp(10, mod(x, 40)))
                            switch shr(64, x)
                            case 0 { mstore(add(op, 1), leSmall(x)) }
                            default { mstore(add(op, 1), le128(x)) }
                        }
                        nop := add(op, 17)
                    }
                }
                if iszero(or(bad, gt(ip, end))) {
                    nip := ip
                    nts := ts
                }
            }

            // The selector of the operation at ip: the byte after the timestamp delta's varint,
            // where `checkOp` and `exactOp` read it on any operation they accept.
            function selectorAt(ip) -> sel {
                let w := mload(ip)
                sel := byte(1, w)
                if shr(7, byte(0, w)) {
                    let k := 1
                    for {} and(lt(k, 31), shr(7, byte(k, w))) { k := add(k, 1) } {}
                    sel := byte(add(k, 1), w)
                }
            }

            // Every operation: each L1 input checked and written as a record (op index u32
            // big-endian ‖ SequencedOp) from new memory on (returned as bytes) by `l1Op`, or by
            // tier 3 when `l1Op` does not accept it; every other operation through tiers 1–2 as in
            // `walk` (tier 3 when flagged, its output written past the last record and not kept).
            // Returns the pointer past the last operation.
            function walkInputs(ip, end, count, sch0, layouts) -> nip, records {
                records := mload(0x40)
                let rec := add(records, 0x20)
                let ts := 0
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    // L1 inputs: Deposit 0, ParamUpdate 1, ForcedWithdraw 17, ForcedClose 18
                    // (bits of 0x60003; shr by 19 or more leaves 0). Where `selectorAt` misreads
                    // (a timestamp delta longer than 20 bytes, or past the data's end), either
                    // path reverts with decode's error, so no record comes from a misread.
                    switch and(shr(selectorAt(ip), 0x60003), 1)
                    case 1 {
                        mstore(rec, shl(224, i))
                        let next, nextTs, nrec := l1Op(ip, end, ts, add(rec, 4))
                        if iszero(next) {
                            mstore(0x20, i)
                            next, nextTs, nrec := exactOp(ip, end, ts, add(rec, 4), sch0)
                        }
                        ip := next
                        ts := nextTs
                        rec := nrec
                    }
                    default {
                        let next, nextTs, bad := checkOp(ip, ts, layouts, sch0)
                        if or(bad, gt(next, end)) {
                            mstore(0x20, i)
                            next, nextTs, bad := exactOp(ip, end, ts, rec, sch0)
                        }
                        ip := next
                        ts := nextTs
                    }
                }
                mstore(records, sub(rec, add(records, 0x20)))
                mstore(rec, 0) // what the last stores spilled past the end
                mstore(0x40, and(add(rec, 0x3f), not(0x1f)))
                nip := ip
            }

            let ip := add(data, 0x20)
            let end := add(ip, mload(data))
            mstore(0x00, ip)
            mstore(0x20, 0)
            if iszero(lt(ip, end)) { fail(2, ip) }
            if iszero(eq(byte(0, mload(ip)), 1)) { fail(1, ip) }
            ip := add(ip, 1)
            {
                let countAt := ip
                n, ip := varint(ip, end)
                if or(gt(n, 100000), gt(mul(n, 4), sub(end, ip))) { fail(5, countAt) }
            }

            let sch0 := add(schema, 0x20)
            // The one-byte layout of each selector, from SCHEMA (see `checkOp`).
            let layouts := mload(0x40)
            mstore(0x40, add(layouts, mul(19, 0x20)))
            for { let sel := 0 } lt(sel, 19) { sel := add(sel, 1) } {
                mstore(add(layouts, shl(5, sel)), layoutOf(mload(add(sch0, shl(4, sel)))))
            }

            switch collect
            case 0 { ip, opBytes := walk(ip, end, n, index, sch0, layouts) }
            default { ip, inputs := walkInputs(ip, end, n, sch0, layouts) }
            mstore(0x20, n)
            if lt(ip, end) { fail(10, ip) }
            mstore(0x20, 0)
            mstore(0x00, 0)
        }
    }

    /// @notice Number of operations in canonical batch bytes (as `decode` returns them).
    function opCount(bytes memory batch) internal pure returns (uint256 n) {
        if (batch.length == 0) return 0;
        n = _u32(batch, 0) / 4;
    }

    /// @notice The SequencedOp bytes of operation `i` of canonical batch bytes: one offset read,
    ///         no walk over the operations before it.
    function opAt(bytes memory batch, uint256 i) internal pure returns (bytes memory op) {
        uint256 n = opCount(batch);
        require(i < n, "BatchCodec: op index");
        uint256 start = _u32(batch, 4 * i);
        uint256 finish = i + 1 < n ? _u32(batch, 4 * (i + 1)) : batch.length;
        op = new bytes(finish - start);
        /// @solidity memory-safe-assembly
        assembly {
            let src := add(add(batch, 0x20), start)
            let dst := add(op, 0x20)
            for { let k := 0 } lt(k, sub(finish, start)) { k := add(k, 0x20) } { mstore(add(dst, k), mload(add(src, k))) }
            mstore(add(dst, sub(finish, start)), 0)
        }
    }

    function _u32(bytes memory b, uint256 at) private pure returns (uint256 v) {
        /// @solidity memory-safe-assembly
        assembly {
            let w := mload(add(add(b, 0x20), at))
            v := or(or(byte(0, w), shl(8, byte(1, w))), or(shl(16, byte(2, w)), shl(24, byte(3, w))))
        }
    }
}
