# vhashify: unify identical guest files into the object store (libvunify).
MANPAGES += tools/vhashify/vhashify.8
