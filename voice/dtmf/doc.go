// Package dtmf handles the caller's keypad, both ways it reaches the
// appliance: as RFC 4733 telephone-event packets (Event, Receiver, Encode)
// and as in-band dual tones in the 8 kHz audio, found with the Goertzel
// algorithm (Detector). Generator synthesises tones for tests and for the
// appliance's own test caller.
//
// Digits are runes: '0'–'9', '*', '#' and 'A'–'D'.
package dtmf
