suite_dedupe() { b_skip dedupe 'not written yet'; }
