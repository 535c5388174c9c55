// Package datasettest makes the hostile images that tests of the dataset
// engine and of the servers that run it feed them: tiny files that claim
// tens of megapixels.
package datasettest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
)

// PNGBomb returns an RGB PNG of w x h black pixels at depth bits per sample
// (8 or 16), streaming its rows through zlib so that making it never holds
// more than a row: 7999x8000 at 16 bits compresses 384 MB of samples to
// 466 KB, which image/png decodes into 512 MB.
func PNGBomb(w, h, depth int) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, byte(depth), 2, 0, 0, 0)
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	row := make([]byte, 1+w*3*depth/8) // filter byte 0, then the samples
	for range h {
		z.Write(row)
	}
	z.Close() // writing to memory cannot fail
	out := pngChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr)
	out = pngChunk(out, "IDAT", idat.Bytes())
	return pngChunk(out, "IEND", nil)
}

func pngChunk(out []byte, typ string, body []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	c := crc32.NewIEEE()
	c.Write([]byte(typ))
	c.Write(body)
	out = append(append(out, typ...), body...)
	return binary.BigEndian.AppendUint32(out, c.Sum32())
}

// LosslessWebPBomb returns a valid lossless WebP (VP8L) of w x h grey
// pixels in 34 bytes, which x/image/webp decodes into 4*w*h bytes of NRGBA:
// no transform, no colour cache, and five "simple" prefix codes of a single
// symbol each (green, red, blue, alpha, distance), so every pixel costs
// zero bits. w and h are at most 16384.
func LosslessWebPBomb(w, h int) []byte {
	var bits bitWriter
	bits.put(0x2f, 8) // VP8L signature
	bits.put(uint64(w-1), 14)
	bits.put(uint64(h-1), 14)
	bits.put(0, 1) // alpha not used
	bits.put(0, 3) // version 0
	bits.put(0, 1) // no transform
	bits.put(0, 1) // no colour cache
	bits.put(0, 1) // no meta prefix codes
	for _, sym := range []uint64{128, 128, 128, 255, 0} {
		bits.put(1, 1) // simple code
		bits.put(0, 1) // of one symbol
		bits.put(1, 1) // of 8 bits
		bits.put(sym, 8)
	}
	stream := bits.flush()
	size := len(stream)
	if size%2 == 1 {
		stream = append(stream, 0) // RIFF chunks are padded to even sizes
	}
	chunk := binary.LittleEndian.AppendUint32([]byte("VP8L"), uint32(size))
	chunk = append(chunk, stream...)
	out := binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(4+len(chunk)))
	return append(append(out, "WEBP"...), chunk...)
}

// bitWriter writes bits least significant first, as VP8L reads them.
type bitWriter struct {
	b    []byte
	acc  uint64
	nbit uint
}

func (w *bitWriter) put(v uint64, n uint) {
	w.acc |= v << w.nbit
	w.nbit += n
	for w.nbit >= 8 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.nbit -= 8
	}
}

func (w *bitWriter) flush() []byte {
	if w.nbit > 0 {
		w.b = append(w.b, byte(w.acc))
		w.acc, w.nbit = 0, 0
	}
	return w.b
}
