// ICE: placeholder until its module lands.
enum _ICEPlaceholder {}
