package main

// chooseProfile is the profile for a command run without one (use, exec,
// console): on a terminal, the one the user picks from a list of every
// profile of both files; without one, a usage error.
func (a *app) chooseProfile() (string, error) {
	return "", usagef("%s: want a profile (on a terminal, 'credswap %s' alone opens a picker)", a.cmd.name, a.cmd.name)
}
