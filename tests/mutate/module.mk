# tests/mutate/: the mutation pass (not part of check; see tests/mutate/run).
# MUTANTS=ID-GLOB picks a subset of tests/mutate/mutants.txt.
.PHONY: mutate mutate-build
mutate-build: all $(TEST_PROGRAMS)

mutate:
	tests/mutate/run $(if $(MUTANTS),--only '$(MUTANTS)')
