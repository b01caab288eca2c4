;; The f32 CPU engine's Gram kernel in WebAssembly SIMD (f64x2), the same computation as
;; gramBlocked in kernels.ts: A = sum_j p_j q_j^T over n rows of K4 f64 each (K4 a multiple of 4),
;; the lower triangle by 4 x 4 tiles (eight f64x2 accumulators), stored into A (K4 x K4, row-major).
;; Each entry is summed over j in order with one multiply and one add per term, as the JS kernel
;; does, so both give the same bits (products of f32 values are exact in f64).
;;
;;   gram(p, q, n, k4, a): byte offsets of P, Q (n x k4 f64) and A (k4 x k4 f64) in `memory`.
;; Built by scripts/build-wasm.mjs into gram-wasm.ts.
(module
  (memory (export "memory") 1)
  (func (export "gram") (param $p i32) (param $q i32) (param $n i32) (param $k4 i32) (param $a i32)
    (local $stride i32) (local $end i32) (local $a0 i32) (local $c0 i32) (local $j i32) (local $pa i32) (local $pc i32) (local $out i32)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128) (local $ql v128) (local $qh v128)
    (local $s0l v128) (local $s0h v128) (local $s1l v128) (local $s1h v128)
    (local $s2l v128) (local $s2h v128) (local $s3l v128) (local $s3h v128)
    (local.set $stride (i32.shl (local.get $k4) (i32.const 3)))
    (local.set $end (i32.mul (local.get $n) (local.get $stride)))
    (local.set $a0 (i32.const 0))
    (block $done_a
      (loop $rows
        (br_if $done_a (i32.ge_u (local.get $a0) (local.get $k4)))
        (local.set $c0 (i32.const 0))
        (block $done_c
          (loop $cols
            (br_if $done_c (i32.gt_u (local.get $c0) (local.get $a0)))
            (local.set $s0l (v128.const f64x2 0 0)) (local.set $s0h (v128.const f64x2 0 0))
            (local.set $s1l (v128.const f64x2 0 0)) (local.set $s1h (v128.const f64x2 0 0))
            (local.set $s2l (v128.const f64x2 0 0)) (local.set $s2h (v128.const f64x2 0 0))
            (local.set $s3l (v128.const f64x2 0 0)) (local.set $s3h (v128.const f64x2 0 0))
            (local.set $pa (i32.add (local.get $p) (i32.shl (local.get $a0) (i32.const 3))))
            (local.set $pc (i32.add (local.get $q) (i32.shl (local.get $c0) (i32.const 3))))
            (local.set $j (i32.const 0))
            (block $done_j
              (loop $terms
                (br_if $done_j (i32.ge_u (local.get $j) (local.get $end)))
                (local.set $p0 (v128.load64_splat offset=0 (i32.add (local.get $pa) (local.get $j))))
                (local.set $p1 (v128.load64_splat offset=8 (i32.add (local.get $pa) (local.get $j))))
                (local.set $p2 (v128.load64_splat offset=16 (i32.add (local.get $pa) (local.get $j))))
                (local.set $p3 (v128.load64_splat offset=24 (i32.add (local.get $pa) (local.get $j))))
                (local.set $ql (v128.load offset=0 (i32.add (local.get $pc) (local.get $j))))
                (local.set $qh (v128.load offset=16 (i32.add (local.get $pc) (local.get $j))))
                (local.set $s0l (f64x2.add (local.get $s0l) (f64x2.mul (local.get $p0) (local.get $ql))))
                (local.set $s0h (f64x2.add (local.get $s0h) (f64x2.mul (local.get $p0) (local.get $qh))))
                (local.set $s1l (f64x2.add (local.get $s1l) (f64x2.mul (local.get $p1) (local.get $ql))))
                (local.set $s1h (f64x2.add (local.get $s1h) (f64x2.mul (local.get $p1) (local.get $qh))))
                (local.set $s2l (f64x2.add (local.get $s2l) (f64x2.mul (local.get $p2) (local.get $ql))))
                (local.set $s2h (f64x2.add (local.get $s2h) (f64x2.mul (local.get $p2) (local.get $qh))))
                (local.set $s3l (f64x2.add (local.get $s3l) (f64x2.mul (local.get $p3) (local.get $ql))))
                (local.set $s3h (f64x2.add (local.get $s3h) (f64x2.mul (local.get $p3) (local.get $qh))))
                (local.set $j (i32.add (local.get $j) (local.get $stride)))
                (br $terms)))
            (local.set $out (i32.add (local.get $a)
              (i32.shl (i32.add (i32.mul (local.get $a0) (local.get $k4)) (local.get $c0)) (i32.const 3))))
            (v128.store offset=0 (local.get $out) (local.get $s0l))
            (v128.store offset=16 (local.get $out) (local.get $s0h))
            (local.set $out (i32.add (local.get $out) (local.get $stride)))
            (v128.store offset=0 (local.get $out) (local.get $s1l))
            (v128.store offset=16 (local.get $out) (local.get $s1h))
            (local.set $out (i32.add (local.get $out) (local.get $stride)))
            (v128.store offset=0 (local.get $out) (local.get $s2l))
            (v128.store offset=16 (local.get $out) (local.get $s2h))
            (local.set $out (i32.add (local.get $out) (local.get $stride)))
            (v128.store offset=0 (local.get $out) (local.get $s3l))
            (v128.store offset=16 (local.get $out) (local.get $s3h))
            (local.set $c0 (i32.add (local.get $c0) (i32.const 4)))
            (br $cols)))
        (local.set $a0 (i32.add (local.get $a0) (i32.const 4)))
        (br $rows)))))
