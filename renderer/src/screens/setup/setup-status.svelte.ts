// Whether setup is complete (DIR/setup.json, as setup.state reports it), for
// the navigation: the wizard is a top-level entry only until setup is done;
// afterwards Settings offers to run it again. null: not known (yet), or this
// shell has no data folder (then the wizard could not run anyway).
class SetupStatus {
  complete = $state<boolean | null>(null);
}

export const setupStatus = new SetupStatus();
