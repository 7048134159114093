// Package omr reads one scanned answer-card page against its template with
// OpenCV (gocv) and gozxing. It is the only package that imports gocv.
package omr
